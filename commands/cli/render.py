"""Text views for people: the state with the clause beside each figure, and the history."""

from __future__ import annotations

import re
from typing import Any

from domain.notices import Notice, effect
from projections.models import AgreementState

UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f"  # C0 (but the line break) and C1 controls: ESC, CSI, BEL, NUL, CR ...
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"  # invisible, bidi
    "\ud800-\udfff]"
)
"""What a terminal would act on or a reader would not see: controls (escape sequences that
set the title, move the cursor, clear the screen), the bidirectional overrides and isolates
that reorder what is shown, zero-width characters, line separators."""


def terminal_safe(text: str) -> str:
    """``text`` for a terminal: each character of UNSAFE shown as its escape (``\\x1b``,
    ``\\u202e``), so a user's string can neither drive the terminal nor disguise a line. The
    text views pass through it; JSON, CSV and the store keep the characters as they are."""
    return UNSAFE.sub(_escaped, text) if UNSAFE.search(text) else text


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _row(label: str, value: Any, clause: str) -> str:
    return f"  {label:<34} {value!s:>16}   [{clause}]"


def _closing_rows(state: AgreementState, closing: dict[str, Any]) -> list[str]:
    """The Closing as it took place, the Closing Date the definition gives ("Closing", 1.1)
    once the conditions of 6.1 are met, and the 7.1 deadline beside it."""
    agreed = closing["agreed_other_date"]
    rows = [_row("Closing Date", state.closing_date or "-", "1.5(a): a date the Parties agreed" if agreed else "1.5")]
    if closing["due_on"]:
        days, last = closing["business_days"], " and ".join(closing["last_conditions"])
        why = f"Closing (1.1): {days} business days after {last} on {closing['conditions_met_on']}"
        rows.append(_row("  as the definition gives it", closing["due_on"], why))
    elif closing["conditions"]:
        rows.append(
            _row(
                "  as the definition gives it", "-", f"6.1 outstanding: {', '.join(closing['outstanding_conditions'])}"
            )
        )
    deadline = next((o.due_on for o in state.obligations if o.ref == "7.1:closing"), None)
    if deadline is not None:
        rows.append(_row("Closing deadline", deadline, "7.1"))
    return rows


def render_state(state: AgreementState) -> str:
    """The state as a person reads it: each figure with the clause it comes from."""
    s = state.model_dump(mode="json")
    e, x, price = s["earnout"], s["escrow"], s["purchase_price"]
    known = f", as known at {s['known_at']}" if s["known_at"] else ""
    lines = [
        f"Agreement {s['agreement_id']} as of {s['as_of']}{known}: {s['status']}",
        _row("Effective Date", s["effective_date"] or "-", "1.4"),
        *_closing_rows(state, s["closing"]),
        "",
        "Earnout Shares",
        _row("total", e["total_shares"], "1.5"),
        _row("released to Sellers", e["released_shares"], "1.5(b)"),
        _row("cancelled", e["cancelled_shares"], "1.5(c)"),
        _row("pending", e["pending_shares"], "1.5(b)"),
        *([_row("ended by the termination", e["terminated_shares"], "7.2")] if e["terminated_shares"] else []),
        _row("delivered (as recorded)", e["delivered_shares"], "1.5(b)"),
    ]
    bp = e["bp_event"]
    if bp:
        lines += [
            f"  BP Event clause ({bp['clause']}) on {bp['occurred_on']}, governing date {bp['governing_date']}",
            _row("A  undelivered at the BP Event", bp["undelivered_shares"], "1.5(b) A"),
            _row("n  months measured", bp["months"], "1.5(b) N"),
            _row("Measurement Period", f"{bp['measurement_start']}..{bp['measurement_end']}", "1.5(b) N"),
            _row("D  assumed margin", bp["assumed_margin_total"] or "-", "1.5(b) D"),
            _row("   actual margin", bp["actual_margin_total"], "1.5(b) N(i)"),
            _row("N  capped margin", bp["capped_margin"] or "-", "1.5(b) N"),
            _row(
                "M  settlement shares", "-" if bp["settlement_shares"] is None else bp["settlement_shares"], "1.5(b) M"
            ),
            _row("settlement due by", bp["settlement_due_by"], "1.5(b)"),
            _row("cancellation on", bp["cancellation_on"], "1.5(c)"),
        ]
        if bp["missing_months"]:
            lines.append(f"  Gross Margin not yet reported for: {', '.join(bp['missing_months'])}")
    lines += [
        "",
        "Escrow (25,000 Buyer Securities)",
        _row("deposited", x["deposited_shares"], "8.1(c)"),
        _row("surrendered to Buyer", x["surrendered_shares"], "8.1(c)"),
        _row("released", x["released_shares"], "Escrow Agreement"),
        _row("balance", x["balance_shares"], "8.1(c)"),
        _row("reserved for pending claims", x["reserved_shares"], "8.1(c), readings 5"),
        _row("available", x["available_shares"], "8.1(c)"),
        "",
    ]
    for side, clause in (("buyer", "8.1"), ("sellers", "8.2")):
        i = s["indemnity"][side]
        lines += [
            f"Indemnity: {side}' claims ({clause})" if side == "sellers" else f"Indemnity: {side}'s claims ({clause})",
            _row("resolved losses", i["resolved_losses"], f"{clause}(b)"),
            _row("pending losses", i["pending_losses"], "8.3"),
            _row("Allowance exceeded", "yes" if i["allowance_exceeded"] else "no", f"{clause}(b) $25,000"),
            _row("payable", i["payable"], f"{clause}(b)"),
        ]
        if side == "buyer":  # 8.1(c), 8.6: offset, then Buyer Securities, then cash (readings 5)
            lines += [
                _row("satisfied by offset", i["offset"], "8.6"),
                _row("satisfied in shares", i["satisfied_in_shares"], "8.1(c)"),
                *(
                    [_row("shares due outside the escrow", i["shares_due_outside_escrow"], "8.1(c)")]
                    if i["shares_due_outside_escrow"]
                    else []
                ),
                _row("cash due", i["cash_due"], "8.1(c)"),
            ]
        else:  # 8.2: the Buyer's liability to Sellers is paid in cash
            lines.append(_row("cash due", i["cash_due"], "8.2(b)"))
    if s["claims"]:
        lines += ["", "Claims (8.3)"]
        for c in s["claims"]:
            resolved = f" -> {c['resolved_amount']}" if c["resolved_amount"] is not None else ""
            lines.append(
                f"  {c['claim_id']:<10} {c['claimant']:<8} {','.join(c['sections']):<12} "
                f"asserted {c['asserted_on']}  {c['status']:<9} {c['amount']}{resolved}"
            )
    lines += ["", "Survival (7.3)"]
    for r in s["survival"]:
        lines.append(f"  {r['section']:<5} {r['title']:<34} {r['status']:<30} {r['expires_on'] or ''}")
    upcoming = [o for o in s["obligations"] if o["status"] != "done"]
    if upcoming:
        lines += ["", "Open obligations"]
        for o in upcoming[:12]:
            lines.append(f"  {o['due_on']}  {o['status']:<8} {o['description']}  [{o['clause']}]")
    lines += [
        "",
        "Purchase Price (1.3)",
        _row("Buyer Securities", price["securities_shares"], "1.3"),
        _row("value", price["securities_value"], "1.3"),
        _row("reduction (cancelled Earnout Shares)", price["reduction"], "1.5(c)"),
    ]
    return "\n".join(lines)


def history_rows(events: list[Any], server_users: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Every event with both times, its position, hash and clause, its payload and provenance;
    on PostgreSQL (``server_users``) also ``db_user``, the server's role that appended it."""
    rows = [
        {
            "position": e.position,
            "type": e.type,
            "occurred_on": e.occurred_on.isoformat(),
            "recorded_at": e.recorded_at.isoformat(),
            "clause": e.clause,
            "payload": e.payload(),
            "recorded_by": e.recorded_by or None,  # None: recorded before provenance was kept
            "evidence": [d.model_dump(mode="json", exclude_none=True) for d in e.evidence],
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in events
    ]
    if server_users:
        for row in rows:
            row["db_user"] = server_users.get(row["position"])
    return rows


def _field(key: str, value: Any) -> str:
    """A payload value as a clerk writes it: a list of sections as ``2.13,2.14``; a notice as
    9.11 makes it effective ("mailed 2005-04-07, effective ... 2005-04-10 (9.11(ii))")."""
    if key == "notice":
        return f"({effect(Notice.model_validate(value))})"
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _provenance(row: dict[str, Any]) -> str:
    """ "  by NAME  evidence NAME (sha256 1234abcd...)": who recorded the event and on what."""
    text = f"  by {row['recorded_by']}" if row.get("recorded_by") else ""
    if row.get("db_user"):
        text += f" (database role {row['db_user']})"
    documents = ", ".join(f"{d['name']} (sha256 {d['sha256'][:12]})" for d in row.get("evidence", ()))
    return text + (f"  evidence {documents}" if documents else "")


def render_history(rows: list[dict[str, Any]]) -> str:
    """One line per event; the terms (``new`` shows them) and fields left empty are left out."""
    lines = []
    for r in rows:
        payload = " ".join(
            f"{k}={_field(k, v)}" for k, v in r["payload"].items() if k != "terms" and v not in (None, "", [])
        )
        lines.append(
            f"{r['position']:>5}  {r['occurred_on']}  {r['recorded_at'][:19]}Z  {r['hash'][:12]}  "
            f"{r['type']:<28} {payload}  [{r['clause']}]{_provenance(r)}"
        )
    return "\n".join(lines)
