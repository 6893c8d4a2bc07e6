"""The figures the fold cites (``Facts.cite``): one name each, so a reader cannot miss one by a typo.

Every handler of the fold cites each figure its event changes; explanations look up the
positions a figure rests on, and the read model's part-by-part walk
(``projections.changes``) works a part out again when a figure it reads is cited. Both
name the figures with these members: a misspelt member is an AttributeError, where a
misspelt string would silently match nothing. A figure of one claim, month or payment is
keyed: ``Cited.CLAIM.of("C1")`` is ``"claim:C1"``, and ``Cited.of_key`` reads it back.
"""

from __future__ import annotations

from enum import StrEnum


class Cited(StrEnum):
    TERMS = "terms"
    EFFECTIVE_DATE = "effective_date"
    CONDITIONS = "conditions"
    DEADLINE = "deadline"
    CLOSING_DATE = "closing_date"
    STATUS = "status"
    BP_EVENT = "bp_event"
    DELIVERED = "delivered"
    ESCROW = "escrow"
    OFFSET = "offset"
    REDEMPTION = "redemption"
    # keyed: one figure per month, claim, claimant, section or reimbursement
    MARGIN = "margin"
    CLAIM = "claim"
    LOSSES = "losses"
    DERIVED = "derived"
    SURVIVAL = "survival"
    REIMBURSEMENT = "reimbursement"

    def of(self, key: str, *more: str) -> str:
        """The cited name of this figure for one month, claim, side or section: "claim:C1"."""
        assert self in KEYED, f"{self} is one figure, not one per key"
        if more:  # the member is its value's str (read in C, not through ``.value``)
            return ":".join((self, key, *more))
        return self + ":" + key  # one key, as a fold's Gross Margin reports name theirs: no tuple to join

    @property
    def every(self) -> str:
        """What an explanation asks for to take every key of this figure ("claim:")."""
        assert self in KEYED, f"{self} is one figure, not one per key"
        return f"{self.value}:"

    @staticmethod
    def of_key(name: str) -> Cited:
        """The figure a cited name is of ("claim:C1" -> ``Cited.CLAIM``); ValueError if none."""
        return Cited(name.split(":", 1)[0])


KEYED = frozenset({Cited.MARGIN, Cited.CLAIM, Cited.LOSSES, Cited.DERIVED, Cited.SURVIVAL, Cited.REIMBURSEMENT})
"""The figures cited once per key (``Cited.of``) rather than once for the agreement."""
