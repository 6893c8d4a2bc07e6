"""The obligations calendar as iCalendar (RFC 5545), hand-written: one all-day VEVENT each,
for one agreement or a portfolio.

Small enough not to need a library: CRLF line endings, lines folded at 75 octets (never
inside a UTF-8 character), TEXT values escaped (backslash, semicolon, comma, newline).
``UID`` is stable per obligation (agreement + the obligation's ref), so importing an updated
calendar updates events instead of duplicating them. What makes a subscriber's copy follow a
changed deadline is derived from the recorded history, never from the wall clock, so the same
store gives the same file byte for byte:

- ``SEQUENCE`` counts the recorded batches (events sharing one ``recorded_at``) after the one
  that first showed the obligation that changed it as the file shows it on its as-of date:
  its date, clause, description or whether it is done (RFC 5546 2.1.4: a revision bumps it).
  A later batch can only add revisions, so for one as-of date it never goes down.
- ``LAST-MODIFIED`` is the ``recorded_at`` of that last revision (or of its first showing).
- ``DTSTAMP`` is the recording time of the agreement's latest event.

Each obligation not yet done carries one ``VALARM`` (a display reminder) per lead time.
A file with nothing to show still holds one component, a UTC ``VTIMEZONE``, because RFC 5545
3.6 requires at least one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from domain.events import EventRetracted, LedgerEvent
from projections.ledger import ORDER_KEY, Fold, effective_events
from projections.models import AgreementState, Obligation
from projections.state import state_of

PRODID = "-//apa-ledger//Obligations calendar//EN"
REMINDER_DAYS = (7, 1)
"""Default lead times of the reminders, in days before the due date."""


@dataclass(frozen=True)
class Revision:
    """How often an obligation changed in the recorded history, and when it last did."""

    sequence: int
    last_modified: datetime


@dataclass(frozen=True)
class AgreementCalendar:
    """One agreement's part of a calendar file: its obligations and their revisions."""

    agreement_id: str
    obligations: Sequence[Obligation]
    revisions: dict[str, Revision]
    stamped_at: datetime
    title: str = ""


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11: backslash, semicolon, comma and newline are escaped in TEXT."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold_line(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on lines starting with a space."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            parts.append(current.decode("utf-8"))
            current, limit = b"", 74  # continuation lines begin with one space
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _key(obligation: Obligation) -> str:
    return obligation.ref or obligation.clause + "|" + obligation.description


def uid(agreement_id: str, obligation: Obligation) -> str:
    key = f"{agreement_id}|{_key(obligation)}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@apa-ledger"


def _content(o: Obligation) -> tuple[object, ...]:
    """What a revision changes: the status counts only as done or not, since upcoming, due and
    overdue follow from the as-of date alone, not from anything recorded."""
    return (o.due_on, o.clause, o.description, o.status == "done")


def states_as_known(events: Sequence[LedgerEvent], as_of: date) -> Iterator[tuple[datetime, AgreementState]]:
    """The state on ``as_of`` as known after each recorded batch that changed what is folded
    on it: ``project(events, as_of, moment)`` for each batch's ``recorded_at`` (readings 9).

    A batch whose events all occur after ``as_of`` is passed over. A batch that retracts
    nothing and whose events are all folded after those before it (the usual append) is
    folded onto the previous fold; any other batch (back-dated, a retraction) is folded from
    the start, as ``project`` does. So the usual history of n batches costs n folds of one
    batch, not n folds of everything."""
    batches: dict[datetime, list[LedgerEvent]] = {}
    for event in events:
        batches.setdefault(event.timestamp, []).append(event)
    ledger: Fold | None = None
    last: tuple[date, int] | None = None
    for moment in sorted(batches):
        batch = batches[moment]
        if ledger is not None and last is not None and not any(type(e) is EventRetracted for e in batch):
            new = sorted((e for e in batch if e.occurred_on <= as_of), key=ORDER_KEY)
            if not new:
                continue
            if ORDER_KEY(new[0]) > last:
                ledger.apply_all(new)
                last = ORDER_KEY(new[-1])
                yield moment, state_of(ledger, as_of, moment)
                continue
        registered, chosen = effective_events(events, as_of, moment)
        ledger = Fold(registered).apply_all(chosen)
        last = ORDER_KEY(chosen[-1]) if chosen else (date.min, 0)
        yield moment, state_of(ledger, as_of, moment)


def revisions(events: Sequence[LedgerEvent], as_of: date) -> dict[str, Revision]:
    """Each obligation on ``as_of`` (by its ref) with how many recorded batches revised it
    after it first showed, and when the last did (``states_as_known``)."""
    seen: dict[str, tuple[tuple[object, ...], int, datetime]] = {}
    for moment, state in states_as_known(events, as_of):
        for o in state.obligations:
            key, content = _key(o), _content(o)
            if key not in seen:
                seen[key] = (content, 0, moment)
            elif seen[key][0] != content:
                seen[key] = (content, seen[key][1] + 1, moment)
    return {key: Revision(count, moment) for key, (_, count, moment) in seen.items()}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def _event(part: AgreementCalendar, o: Obligation, as_of: date, remind: Sequence[int], prefixed: bool) -> list[str]:
    summary = f"[{o.clause}] {o.description}"
    if prefixed:
        summary = f"{part.agreement_id}: {summary}"
    title = part.title or "the agreement"
    details = f"{part.agreement_id}: {o.description}\nClause {o.clause} of {title}.\nStatus as of {as_of}: {o.status}."
    revision = part.revisions.get(_key(o), Revision(0, part.stamped_at))
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid(part.agreement_id, o)}",
        f"DTSTAMP:{_stamp(part.stamped_at)}",
        f"LAST-MODIFIED:{_stamp(revision.last_modified)}",
        f"SEQUENCE:{revision.sequence}",
        f"DTSTART;VALUE=DATE:{_day(o.due_on)}",
        f"DTEND;VALUE=DATE:{_day(o.due_on + timedelta(days=1))}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(details)}",
        f"CATEGORIES:{escape_text(o.clause)},{o.status.upper()}",
        "TRANSP:TRANSPARENT",
    ]
    if o.status != "done":
        for days in remind:
            when = "on the day" if days == 0 else f"in {days} day{'' if days == 1 else 's'}"
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"TRIGGER:-P{days}D" if days else "TRIGGER:PT0S",
                f"DESCRIPTION:{escape_text(f'Due {when}: {summary}')}",
                "END:VALARM",
            ]
    return [*lines, "END:VEVENT"]


UTC_ZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:UTC",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0000",
    "TZNAME:UTC",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def calendar_ics(
    parts: Sequence[AgreementCalendar],
    as_of: date,
    name: str,
    remind: Sequence[int] = REMINDER_DAYS,
    description: str = "",
) -> str:
    """A VCALENDAR named ``name`` (described by ``description``) with one all-day VEVENT per
    obligation of each part (DTEND the next day, RFC 5545 3.6.1); summaries name the agreement
    when there are several."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        *([f"X-WR-CALDESC:{escape_text(description)}"] if description else []),
    ]
    prefixed = len(parts) > 1
    events = [line for part in parts for o in part.obligations for line in _event(part, o, as_of, remind, prefixed)]
    lines += events or UTC_ZONE
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


def to_ics(agreement_id: str, obligations: Sequence[Obligation], as_of: date, stamped_at: datetime) -> str:
    """One agreement's calendar, every obligation at revision 0 (for callers without its history)."""
    part = AgreementCalendar(agreement_id, obligations, {}, stamped_at)
    return calendar_ics([part], as_of, f"{agreement_id} obligations")
