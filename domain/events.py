"""The ledger's events: immutable facts, each under a clause of the agreement.

Every event carries the envelope the store needs (``originator_id``,
``originator_version`` = its position, ``timestamp`` = ``recorded_at``) plus
``occurred_on`` (valid time) and a hash chained to the previous event of the
agreement. The other fields are the fact itself; they are what a user writes
in a JSON Lines import and what ``history --json`` shows as the payload.
"""

# No ``from __future__ import annotations`` here (STYLE habit 5, set aside on purpose): pydantic
# resolves string annotations one by one when each model class is created, which would
# slow this module's import, paid by every CLI command (``python -X importtime``; see
# docs/benchmarks.md). The annotations below are all valid at run time.

import re
from datetime import datetime
from functools import cache, lru_cache
from operator import attrgetter
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from domain.notices import Notice, dated
from domain.stored_form import omitted_at_default
from domain.terms import Terms
from domain.values import LedgerDate, Money, Month, NonNegativeMoney, PositiveShares, ShareChange

M = TypeVar("M", bound=BaseModel)
PROVENANCE = frozenset({"recorded_by", "evidence"})  # who recorded a batch, on what documents
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "prev_hash", "hash", "batch"}) | PROVENANCE
WRITTEN_BY_USERS = frozenset({"evidence"})  # envelope a JSON Lines fact may carry itself
SHA256_RE = re.compile(r"[0-9a-f]{64}")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
SECTION_RE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})((?:\([a-z0-9]{1,5}\)){0,3})")


def _identifier(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise ValueError("ids are 1-64 characters: letters, digits and . _ : / - (starting with a letter or digit)")
    return value


def _section(value: str) -> str:
    if not SECTION_RE.fullmatch(value):
        raise ValueError(f'section must look like "2.14" or "8.1(a)(iii)", got {value[:40]!r}')
    return value


def _effective_notice(notice: Notice | None, info: ValidationInfo) -> Notice | None:
    """9.11: a fact a notice brings occurs on the day the notice is effective."""
    if notice is not None and "occurred_on" in info.data:
        dated(notice, info.data["occurred_on"])
    return notice


def _sha256(value: str) -> str:
    digest = value.lower()  # Get-FileHash writes it in capitals; the ledger keeps one form
    if not SHA256_RE.fullmatch(digest):
        raise ValueError("sha256 must be the 64 hex digits of the document's SHA-256")
    return digest


def _document_name(value: str) -> str:
    if not value.isprintable() or value.startswith("/") or ".." in value.split("/") or "\\" in value:
        raise ValueError("a document's name is printable, relative and has no '..' or backslash")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
Section = Annotated[str, AfterValidator(_section)]
Text = Annotated[str, Field(max_length=2000)]


@lru_cache(maxsize=4096)
def base_section(section: str) -> str:
    """ "8.1(a)(iii)" -> "8.1": the numbered section a citation falls under (pure; cached)."""
    match = SECTION_RE.fullmatch(section)
    return f"{int(match.group(1))}.{int(match.group(2))}" if match else section


class Evidence(BaseModel):
    """A document a fact was recorded on: its name, its SHA-256 and (when the ledger read the
    file) its size in bytes; never its content. ``verify --evidence DIR`` re-hashes it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_document_name)]
    sha256: Annotated[str, AfterValidator(_sha256)]
    size: int | None = omitted_at_default(None, ge=0)


class LedgerEvent(BaseModel):
    """Envelope shared by every event of an agreement."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    clause: ClassVar[str] = "ledger"
    derived: ClassVar[bool] = False  # emitted by the ledger itself, never typed in by a user

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    occurred_on: LedgerDate
    prev_hash: str = ""
    hash: str = ""
    batch: str = ""  # the batch it came in with (content digest or idempotency key); see commands.idempotency
    # Provenance (commands.provenance), hashed with the rest; left out of the stored form when
    # absent so that events recorded before it keep their bytes and hashes (domain.stored_form).
    recorded_by: str = omitted_at_default("", max_length=128)  # who recorded the batch
    evidence: tuple[Evidence, ...] = omitted_at_default(())  # the documents the fact rests on

    position = property(attrgetter("originator_version"), doc="The event's place in its agreement's chain.")
    """``originator_version``, read in C (the fold asks for it several times an event)."""

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp

    @property
    def type(self) -> str:
        return type(self).__name__

    def sealed(self, prev_hash: str, hash: str) -> Self:
        """This event with its place in the hash chain (``domain.chain.seal``).

        What ``model_copy(update=...)`` does for two already-valid strings, without its
        generic copying of private and extra state (none here), because it runs once per
        appended event."""
        return trusted_model(type(self), {**self.__dict__, "prev_hash": prev_hash, "hash": hash})

    def payload(self) -> dict[str, Any]:
        """The fact's own fields, JSON-ready (no envelope, no occurred_on)."""
        return self.model_dump(mode="json", exclude={*ENVELOPE, "occurred_on"})


class AgreementRegistered(LedgerEvent):
    clause: ClassVar[str] = "preamble"
    agreement_id: Identifier
    terms: Terms


class EffectiveDateReached(LedgerEvent):
    clause: ClassVar[str] = "1.4"


class EscrowDeposited(LedgerEvent):
    clause: ClassVar[str] = "8.1(c), 1.5(a)"
    shares: PositiveShares


class ClosingConditionSatisfied(LedgerEvent):
    clause: ClassVar[str] = "6.1"
    condition: Literal["6.1(a)", "6.1(b)", "6.1(c)", "6.1(d)", "6.1(e)", "6.1(f)", "6.1(g)"]
    waived: bool = False


class ClosingDeadlineExtended(LedgerEvent):
    clause: ClassVar[str] = "7.1"
    new_deadline: LedgerDate


class ClosingOccurred(LedgerEvent):
    clause: ClassVar[str] = "1.5, 6"


class AgreementTerminated(LedgerEvent):
    clause: ClassVar[str] = "7.1, 7.2"
    reason: Literal["deadline", "mutual"]
    notice: Notice | None = omitted_at_default(None)  # 9.11: a Party's notice of termination
    _notice_effective = field_validator("notice")(_effective_notice)


class GrossMarginReported(LedgerEvent):
    clause: ClassVar[str] = "Gross Margin, 1.5(b)"
    month: Month
    amount: Money


class BPEventDeclared(LedgerEvent):
    clause: ClassVar[str] = "BP Event, 1.5(b)"
    bp_clause: Literal["a", "b", "c"] = Field(alias="clause")

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True, defer_build=True
    )


class DeemedEventAgreed(LedgerEvent):
    clause: ClassVar[str] = "BP Event (c)"
    promotion_implemented_on: LedgerDate
    deemed_on: LedgerDate


class EarnoutSharesDelivered(LedgerEvent):
    clause: ClassVar[str] = "1.5(b)"
    shares: PositiveShares


class ClaimAsserted(LedgerEvent):
    clause: ClassVar[str] = "8.1, 8.2, 8.3, 7.3"
    claim_id: Identifier
    claimant: Literal["buyer", "sellers"]
    sections: tuple[Section, ...] = Field(min_length=1, max_length=50)
    basis: Text = ""
    amount: NonNegativeMoney
    notice: Notice | None = omitted_at_default(None)  # 9.11; 7.3(iv): a claim is "given" when effective
    _notice_effective = field_validator("notice")(_effective_notice)


class ClaimRevised(LedgerEvent):
    clause: ClassVar[str] = "8.3"
    claim_id: Identifier
    amount: NonNegativeMoney


class ClaimResolved(LedgerEvent):
    clause: ClassVar[str] = "8.3, 8.4"
    claim_id: Identifier
    amount: NonNegativeMoney


class ClaimWithdrawn(LedgerEvent):
    clause: ClassVar[str] = "8.3"
    claim_id: Identifier
    amount: NonNegativeMoney | None = None


class SharesSurrendered(LedgerEvent):
    """8.1(c): escrow shares surrendered to Buyer on a claim's resolution (derived). Negative after a
    correction re-balances the claim (readings 5): a surrender recorded earlier that the claim no
    longer takes, so that what the derived events record always sums to the fold's figure."""

    clause: ClassVar[str] = "8.1(c)"
    derived: ClassVar[bool] = True
    claim_id: Identifier
    shares: ShareChange


class CashIndemnityDue(LedgerEvent):
    clause: ClassVar[str] = "8.1(c)"
    derived: ClassVar[bool] = True
    claim_id: Identifier
    amount: Money


class EscrowReleased(LedgerEvent):
    clause: ClassVar[str] = "Escrow Agreement, 8.1(c)"
    shares: PositiveShares


class TaxLimitationPeriodRecorded(LedgerEvent):
    clause: ClassVar[str] = "7.3(ii)"
    expires_on: LedgerDate


class PaymentDue(LedgerEvent):
    clause: ClassVar[str] = "8.6"
    payment_id: Identifier
    amount: NonNegativeMoney


class PaymentWithheld(LedgerEvent):
    clause: ClassVar[str] = "8.6"
    payment_id: Identifier
    amount: NonNegativeMoney


class WithheldPaymentReleased(LedgerEvent):
    clause: ClassVar[str] = "8.6"
    payment_id: Identifier
    amount: NonNegativeMoney


class RedemptionExercised(LedgerEvent):
    clause: ClassVar[str] = "5.6"
    shares: PositiveShares


class FormerEmployeeHired(LedgerEvent):
    """4.7: Buyer employs, within 45 days after the Effective Date, a former employee of Sellers
    who received severance or unused vacation pay; Buyer reimburses within 10 days after
    ``commenced_on``."""

    clause: ClassVar[str] = "4.7"
    employee: Identifier
    commenced_on: LedgerDate
    amount: NonNegativeMoney | None = None


class TaxReimbursementNotified(LedgerEvent):
    """8.3(b)(i): the Indemnified Party notifies payment of additional Taxes on an indemnity
    payment; the Tax Reimbursement Amount is due within ten days after the notice."""

    clause: ClassVar[str] = "8.3(b)(i)"
    claim_id: Identifier
    amount: NonNegativeMoney | None = None
    notice: Notice | None = omitted_at_default(None)  # 9.11: "within ten days after being notified"
    _notice_effective = field_validator("notice")(_effective_notice)


class NetTaxBenefitRealized(LedgerEvent):
    """8.3(b)(ii): a Net Tax Benefit is realized; it is paid within 15 days after."""

    clause: ClassVar[str] = "8.3(b)(ii)"
    claim_id: Identifier
    amount: NonNegativeMoney


class ReimbursementPaid(LedgerEvent):
    """4.7, 8.3(b)(i), 8.3(b)(ii): the payment owed under ``section`` for ``reference`` (the
    employee for 4.7, the claim for 8.3(b)) was made."""

    clause: ClassVar[str] = "4.7, 8.3(b)"
    section: Literal["4.7", "8.3(b)(i)", "8.3(b)(ii)"]
    reference: Identifier


class EventRetracted(LedgerEvent):
    clause: ClassVar[str] = "ledger correction"
    event_id: int = Field(ge=1)
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


EVENT_TYPES: dict[str, type[LedgerEvent]] = {
    cls.__name__: cls
    for cls in (
        AgreementRegistered,
        EffectiveDateReached,
        EscrowDeposited,
        ClosingConditionSatisfied,
        ClosingDeadlineExtended,
        ClosingOccurred,
        AgreementTerminated,
        GrossMarginReported,
        BPEventDeclared,
        DeemedEventAgreed,
        EarnoutSharesDelivered,
        ClaimAsserted,
        ClaimRevised,
        ClaimResolved,
        ClaimWithdrawn,
        SharesSurrendered,
        CashIndemnityDue,
        EscrowReleased,
        TaxLimitationPeriodRecorded,
        PaymentDue,
        PaymentWithheld,
        WithheldPaymentReleased,
        RedemptionExercised,
        FormerEmployeeHired,
        TaxReimbursementNotified,
        NetTaxBenefitRealized,
        ReimbursementPaid,
        EventRetracted,
    )
}
"""The one place that maps event type names to classes."""

USER_EVENT_TYPES = {name for name, cls in EVENT_TYPES.items() if not cls.derived} - {"AgreementRegistered"}


def trusted_model(cls: type[M], values: dict[str, Any]) -> M:
    """A model of ``cls`` (an event, or a part of the state) from values that are already the
    right types, every field present.

    What pydantic's ``model_construct`` does when every field is given (it skips
    validation), without its generic loop over the fields, because the read model builds
    a state part at every change point; used only for values the ledger has validated or computed itself:
    a sealed copy of a validated event, a stored event decoded from the ledger's own JSON,
    a figure of the state worked out from checked facts. The instance's four slots are set
    through their descriptors (a quarter cheaper than ``object.__setattr__`` by name); its set
    of fields set is the class's one set of field names (``field_names``)."""
    model = _new(cls)
    _set_dict(model, values)
    _set_fields_set(model, _field_names.get(cls) or field_names(cls))
    _set_extra(model, None)
    _set_private(model, None)
    return model


def field_names(cls: type[BaseModel]) -> set[str]:
    """The set of ``cls``'s field names, made once and shared by every ``trusted_model`` of the
    class as its ``__pydantic_fields_set__`` (every field is given). Shared, not one per model,
    because a replay builds one an event: the models are frozen (no assignment adds to it) and
    pydantic's ``model_copy`` copies the set before it adds a field to the copy's."""
    names = _field_names[cls] = set(cls.model_fields)
    return names


_field_names: dict[type[BaseModel], set[str]] = {}
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
TRUSTED_SETTERS = (_set_dict, _set_fields_set, _set_extra, _set_private)
"""``trusted_model``'s four slot setters, for a decoder that builds its models in line."""


@cache
def fact_fields(cls: type[LedgerEvent]) -> frozenset[str]:
    """The names a user may write for a fact of this type (aliases included); asked once per
    imported line, so cached per class."""
    names = {info.alias or name for name, info in cls.model_fields.items() if name not in ENVELOPE}
    return frozenset(names | WRITTEN_BY_USERS)
