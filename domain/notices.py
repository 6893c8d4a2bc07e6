"""9.11: how a notice is given, and the day it becomes effective.

9.11: "Any notice or other communication hereunder must be given in writing and (a)
delivered in person, (b) transmitted by telex, telefax or telecommunications mechanism,
provided that any notice so given is also mailed as provided in clause (c), or (c)
mailed (postage prepaid), receipt requested ... Each such notice or other communication
shall be effective (i) if given by facsimile, when transmitted to the applicable number
... and an appropriate answerback is received, (ii) if given by mail, three days after
such communication is deposited in the mails with first class postage prepaid ... or
(iii) if given by any other means, when actually received at such address."

Readings (docs/readings.md, readings 14):
- "three days" in (ii) are calendar days: where the agreement means business days it
  says so (the definition of "Closing"); 9.11 does not. A notice mailed on a Thursday
  is effective on the Sunday.
- A fax is recorded as transmitted with its answerback received: a transmission without
  one is not a notice given under (i), and is not recorded as one.
- (b)'s proviso: a fax must also be mailed. The mailed copy is recorded on the fax's own
  notice, as the day it was deposited in the mails: ``"notice": {"by": "fax", "sent_on":
  "2005-04-09", "mailed_copy_on": "2005-04-11"}`` in JSON Lines, ``--notice-by fax
  --notice-sent-on 2005-04-09 --notice-mailed-copy-on 2005-04-11`` with ``record`` (not as
  a second fact: the copy gives no notice of its own). A fax without it is refused (it is
  not a notice given under 9.11), and so is a copy dated before the fax (that is a notice
  given by mail: record it so). The fax is effective when transmitted, however late the
  copy is mailed: 9.11 requires the copy but dates the notice by the fax.
- Hand delivery (a) and courier ("any other means", (iii)) are effective on the day
  received: ``received_on`` is required. For mail and fax ``received_on`` may be kept,
  but plays no part: 9.11 makes them effective on their own dates.
"""

# No ``from __future__ import annotations`` here: a pydantic model (see domain/events.py).

from datetime import date, timedelta
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from domain.stored_form import omitted_at_default
from domain.values import LedgerDate

MAIL_DAYS = 3  # 9.11(ii): "three days after such communication is deposited in the mails"
MEANS = ("fax", "mail", "hand", "courier")


class Notice(BaseModel):
    """How a notice under 9.11 was given: ``by`` what means, ``sent_on`` (transmitted,
    deposited in the mails, or handed over for delivery), ``received_on`` (hand, courier)
    and, for a fax, the deposit of the copy 9.11(b) requires (``mailed_copy_on``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    by: Literal["fax", "mail", "hand", "courier"]
    sent_on: LedgerDate
    received_on: LedgerDate | None = omitted_at_default(None)
    mailed_copy_on: LedgerDate | None = omitted_at_default(None)

    @model_validator(mode="after")
    def _given_under_9_11(self) -> Self:
        """9.11: what each means needs before the notice counts as given."""
        if self.received_on is not None and self.received_on < self.sent_on:
            raise ValueError(f"received_on {self.received_on} is before sent_on {self.sent_on} (9.11)")
        if self.by in ("hand", "courier") and self.received_on is None:
            raise ValueError(f"a notice by {self.by} is effective when actually received: give received_on (9.11(iii))")
        if self.by == "fax":
            if self.mailed_copy_on is None:
                raise ValueError(
                    "a notice by telefax must also be mailed (9.11(b)): give mailed_copy_on, the day the copy "
                    "was deposited in the mails"
                )
            if self.mailed_copy_on < self.sent_on:
                raise ValueError(
                    f"mailed_copy_on {self.mailed_copy_on} is before the fax of {self.sent_on}: a notice mailed "
                    'first is given by mail (record "by": "mail") (9.11(b))'
                )
        elif self.mailed_copy_on is not None:
            raise ValueError("mailed_copy_on is the copy of a fax 9.11(b) requires; this notice is not by fax")
        return self


def effective_on(notice: Notice) -> date:
    """9.11(i)-(iii): the day the notice is effective - a fax when transmitted (with its
    answerback), mail three (calendar) days after deposit, anything else when received."""
    if notice.by == "fax":
        return notice.sent_on
    if notice.by == "mail":
        return notice.sent_on + timedelta(days=MAIL_DAYS)
    assert notice.received_on is not None  # required by Notice for hand and courier
    return notice.received_on


def dated(notice: Notice, occurred_on: date) -> Notice:
    """9.11: the fact a notice brings occurs on the day the notice is effective; ``notice``
    if ``occurred_on`` is that day, else ValueError naming it."""
    on = effective_on(notice)
    if occurred_on != on:
        raise ValueError(
            f"occurred_on {occurred_on} is not the day 9.11 makes this notice effective: {on} ({effect(notice)}); "
            "leave occurred_on out and the ledger fills it in"
        )
    return notice


def effect(notice: Notice) -> str:
    """How 9.11 makes the notice effective, with both dates, for ``history`` and ``explain``."""
    on = effective_on(notice)
    if notice.by == "fax":
        copy = f"copy mailed {notice.mailed_copy_on}"
        return f"faxed {notice.sent_on} ({copy}), effective when transmitted: {on} (9.11(i))"
    if notice.by == "mail":
        return f"mailed {notice.sent_on}, effective {MAIL_DAYS} days after deposit in the mails: {on} (9.11(ii))"
    return f"sent by {notice.by} {notice.sent_on}, effective when received: {on} (9.11(iii))"
