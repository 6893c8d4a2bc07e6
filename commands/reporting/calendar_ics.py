"""The obligations calendar as iCalendar (RFC 5545), hand-written: one all-day VEVENT each.

Small enough not to need a library: CRLF line endings, lines folded at 75 octets
(never inside a UTF-8 character), TEXT values escaped (backslash, semicolon,
comma, newline). ``UID`` is stable per obligation (agreement + the obligation's
ref), so re-importing an updated calendar updates events instead of duplicating
them; ``DTSTAMP`` is the recording time of the agreement's latest event, so the
file depends on the ledger only, never on the wall clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from projections.models import Obligation

PRODID = "-//apa-ledger//Obligations calendar//EN"


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


def uid(agreement_id: str, obligation: Obligation) -> str:
    key = f"{agreement_id}|{obligation.ref or obligation.clause + '|' + obligation.description}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@apa-ledger"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def to_ics(agreement_id: str, obligations: Iterable[Obligation], as_of: date, stamped_at: datetime) -> str:
    """A VCALENDAR with one all-day VEVENT per obligation (DTEND the next day, RFC 5545 3.6.1)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'{agreement_id} obligations')}",
    ]
    for o in obligations:
        summary = f"[{o.clause}] {o.description}"
        details = (
            f"{agreement_id}: {o.description}\nClause {o.clause} of the Asset Purchase Agreement of "
            f"December 6, 2002.\nStatus as of {as_of}: {o.status}."
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(agreement_id, o)}",
            f"DTSTAMP:{_stamp(stamped_at)}",
            f"DTSTART;VALUE=DATE:{_day(o.due_on)}",
            f"DTEND;VALUE=DATE:{_day(o.due_on + timedelta(days=1))}",
            f"SUMMARY:{escape_text(summary)}",
            f"DESCRIPTION:{escape_text(details)}",
            f"CATEGORIES:{escape_text(o.clause)},{o.status.upper()}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
