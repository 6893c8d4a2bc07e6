"""Every figure explains itself: the derivation, the clause and the events behind a figure of the state.

Pure: ``explanations(ledger, as_of, known_at)`` folds nothing itself; it reads the facts
the fold gathered and the state composed from them, and calls the domain rules. The
keys are the dotted keys of ``state --json`` (see ``projections.diff.flatten``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from domain.errors import InvalidInput
from domain.events import LedgerEvent, base_section
from domain.survival import representation_expiry
from projections.cited import Cited
from projections.diff import flatten
from projections.explain_base import Explanation, cite, explained, num
from projections.explain_dated import asserted_text, closing_explanations
from projections.explain_earnout import earnout_explanations
from projections.facts import Facts
from projections.indemnity import buyer_satisfaction
from projections.ledger import fold
from projections.models import AgreementState
from projections.state import state_of

ROW_PREFIXES = ("survival.", "claims.", "obligations.")


def _sum(parts: list[tuple[str, Decimal | int]], total: Decimal | int) -> str:
    shown = " + ".join(f"{num(v)} ({ref})" if ref else num(v) for ref, v in parts)
    if not parts:
        return num(total)
    return f"{shown} = {num(total)}" if len(parts) > 1 or parts[0][0] else shown


def _escrow(facts: Facts, state: AgreementState) -> list[Explanation]:
    terms, x = facts.terms, state.escrow
    moves = {
        kind: [m for m in facts.escrow_movements if m.kind == kind] for kind in ("deposit", "surrender", "release")
    }
    pos = {kind: sorted(m.position for m in found) for kind, found in moves.items()}
    buyer = state.indemnity.buyer
    payable, offset = buyer.payable, buyer.offset
    surrendered = _sum([(m.ref, m.shares) for m in moves["surrender"]], x.surrendered_shares)
    due = x.surrendered_shares + buyer.shares_due_outside_escrow
    pending = facts.claims_of("buyer", "pending")
    hypothetical = [(c.claim_id, c.amount) for c in pending]
    if_resolved = buyer_satisfaction(facts, hypothetical)[0] if pending else None
    claim_pos = cite(facts, *(Cited.CLAIM.of(c.claim_id) for c in facts.claims_of("buyer")))
    cap, value = num(terms.escrow_cap), num(terms.liquidation_value)
    if if_resolved is None:
        reserved = f"reserved = 0: no buyer claim is pending (readings 5) = {x.reserved_shares}"
    else:
        total = if_resolved.offset + if_resolved.shares * terms.liquidation_value + if_resolved.cash
        reserved = (
            f"reserved = min(balance, Buyer Securities due if the pending claims were resolved as claimed − those "
            f"due already); pending {', '.join(f'{c.claim_id} {num(c.amount)}' for c in pending)}: payable "
            f"{num(total)}, offset against the payments withheld for them {num(if_resolved.offset)} (8.6), "
            f"floor(min({num(total)} − {num(if_resolved.offset)}, {cap}) / {value}) = {if_resolved.shares}; "
            f"min({x.balance_shares}, {if_resolved.shares} − {due}) = {x.reserved_shares}"
        )
    return [
        explained(
            "escrow.deposited_shares",
            f"deposited = Σ EscrowDeposited = {_sum([('', m.shares) for m in moves['deposit']], x.deposited_shares)}",
            "8.1(c)",
            "8.1(c) deposit",
            pos["deposit"],
        ),
        explained(
            "escrow.surrendered_shares",
            f"surrendered = {surrendered}; Buyer Securities due = floor(min(payable − offset, {cap}) / {value}) = "
            f"floor(min({num(payable)} − {num(offset)}, {cap}) / {value}) = {due}, taken from the escrow while it "
            f"holds them ({buyer.shares_due_outside_escrow} due outside it)",
            "8.1(c)",
            "8.1(c)",
            sorted({*pos["surrender"], *cite(facts, "losses:buyer", "derived:")}),
        ),
        explained(
            "escrow.released_shares",
            f"released = Σ EscrowReleased = {_sum([('', m.shares) for m in moves['release']], x.released_shares)}",
            "Escrow Agreement",
            "Escrow Agreement",
            pos["release"],
        ),
        explained(
            "escrow.balance_shares",
            f"balance = deposited − surrendered − released = {x.deposited_shares} − {x.surrendered_shares} − "
            f"{x.released_shares} = {x.balance_shares}",
            "8.1(c)",
            "8.1(c)",
            cite(facts, "escrow"),
        ),
        explained(
            "escrow.reserved_shares", reserved, "8.1(c), readings 5", "8.1(c)", sorted({*claim_pos, *pos["surrender"]})
        ),
        explained(
            "escrow.available_shares",
            f"available = balance − reserved = {x.balance_shares} − {x.reserved_shares} = {x.available_shares}",
            "8.1(c), Escrow Agreement",
            "Escrow Agreement",
            sorted({*cite(facts, "escrow"), *claim_pos}),
        ),
        explained(
            "escrow.liquidation_value_per_share",
            f"{num(terms.securities_value)} / {terms.securities_shares} Buyer Securities = {value} a share",
            "1.3, readings 1",
            "1.3",
            cite(facts, "terms"),
        ),
    ]


def _indemnity(facts: Facts, state: AgreementState, side: str) -> list[Explanation]:
    terms = facts.terms
    i = getattr(state.indemnity, side)
    clause = "8.1" if side == "buyer" else "8.2"
    key = f"indemnity.{side}"
    claims = facts.claims_of(side)
    resolved = [(c.claim_id, c.resolved_amount or Decimal(0)) for c in claims if c.status == "resolved"]
    pending = [(c.claim_id, c.amount) for c in claims if c.status == "pending"]
    pos = cite(facts, *(f"claim:{c.claim_id}" for c in claims))
    resolved_pos = cite(facts, *(f"claim:{c.claim_id}" for c in claims if c.status == "resolved"))
    pending_pos = cite(facts, *(f"claim:{c.claim_id}" for c in claims if c.status == "pending"))
    allowance, r = num(i.allowance), num(i.resolved_losses)
    tipped = i.allowance_exceeded
    if side == "buyer":
        escrow, outside = state.escrow.surrendered_shares, i.shares_due_outside_escrow
        offset = (
            f"offset = Σ withheld payments offset against the resolved claims they were withheld for = "
            f"{_sum([(p.payment_id, p.offset) for p in state.offset.payments if p.offset], i.offset)}; satisfied "
            "first, up to what was withheld (readings 5)"
        )
        in_shares = (
            f"(escrow shares surrendered + Buyer Securities due outside the escrow) × liquidation value = "
            f"({escrow} + {outside}) × {num(terms.liquidation_value)} = {num(i.satisfied_in_shares)}; "
            f"floor(min(payable − offset, {num(terms.escrow_cap)}) / {num(terms.liquidation_value)}) shares"
        )
        outside_text = (
            f"due outside the escrow = Buyer Securities due − escrow shares surrendered = {escrow + outside} − "
            f"{escrow} = {outside}: what the escrow no longer held (or never received) when they fell due"
        )
        cash = "; 8.1(c): Losses above $250,000, and any fraction of a $10 share, are satisfied in cash"
    else:
        offset = "0.00: 8.6 lets only the Buyer withhold payments against its claims"
        in_shares = "0.00: Buyer's Losses to Sellers under 8.2 are paid in cash, not in Buyer Securities"
        outside_text = "0: Buyer's Losses to Sellers under 8.2 are paid in cash"
        cash = ""
    return [
        explained(f"{key}.allowance", f"Allowance = {allowance} (terms)", f"{clause}(b)", f"{clause}(b)", []),
        explained(
            f"{key}.resolved_losses",
            f"resolved = Σ finally resolved claims = {_sum(resolved, i.resolved_losses) if resolved else '0.00'}",
            f"{clause}(b), 8.3",
            f"{clause}(b)",
            resolved_pos,
        ),
        explained(
            f"{key}.pending_losses",
            f"pending = Σ claimed amounts of pending claims = {_sum(pending, i.pending_losses) if pending else '0.00'}",
            "8.3",
            "8.3",
            pending_pos,
        ),
        explained(
            f"{key}.allowance_exceeded",
            f"{r} {'>' if tipped else '≤'} {allowance}: {'exceeded' if tipped else 'not exceeded'} (strictly more)",
            f"{clause}(b)",
            f"{clause}(b)",
            pos,
        ),
        explained(
            f"{key}.payable",
            f"tipping basket: resolved {r} {'>' if tipped else '≤'} Allowance {allowance}, so payable = "
            f"{'the entire ' + r if tipped else '0.00'}",
            f"{clause}(b), readings 4",
            f"{clause}(b)",
            pos,
        ),
        explained(
            f"{key}.offset",
            offset,
            "8.6, readings 5" if side == "buyer" else "8.6",
            "8.6",
            sorted({*pos, *cite(facts, Cited.OFFSET)}) if side == "buyer" else [],
        ),
        explained(f"{key}.satisfied_in_shares", in_shares, "8.1(c)" if side == "buyer" else "8.2(b)", "8.1(c)", pos),
        explained(
            f"{key}.shares_due_outside_escrow",
            outside_text,
            "8.1(c), readings 5" if side == "buyer" else "8.2(b)",
            "8.1(c)",
            sorted({*pos, *cite(facts, Cited.ESCROW)}) if side == "buyer" else [],
        ),
        explained(
            f"{key}.cash_due",
            f"cash due = payable − offset − satisfied in shares = {num(i.payable)} − {num(i.offset)} − "
            f"{num(i.satisfied_in_shares)} = {num(i.cash_due)}{cash}",
            "8.1(c)" if side == "buyer" else "8.2(b)",
            "8.1(c)" if side == "buyer" else "8.2(b)",
            sorted({*pos, *cite(facts, "escrow")}) if side == "buyer" else pos,
        ),
    ]


def _purchase_price(facts: Facts, state: AgreementState) -> list[Explanation]:
    p, value = state.purchase_price, num(facts.terms.liquidation_value)
    cancelled = state.earnout.cancelled_shares
    reduction = f"cancelled Earnout Shares × {value} = {cancelled} × {value} = {num(p.reduction)}"
    pos = cite(facts, "bp_event")
    return [
        explained("purchase_price.securities_shares", f"{p.securities_shares} Buyer Securities", "1.3", "1.3", []),
        explained(
            "purchase_price.securities_value",
            f"{p.securities_shares} × {value} = {num(p.securities_value)}",
            "1.3",
            "1.3",
            [],
        ),
        explained("purchase_price.cancelled_earnout_value", reduction, "1.5(c)", "1.5(c)", pos),
        explained("purchase_price.reduction", reduction, "1.5(c)", "1.5(c)", pos),
    ]


def _survival(facts: Facts, state: AgreementState) -> list[Explanation]:
    terms, closing = facts.terms, facts.closing_date
    out = []
    for row in state.survival:
        citing = [c for c in facts.claims.values() if any(base_section(s) == row.section for s in c.sections)]
        pos = cite(facts, "closing_date", *(f"claim:{c.claim_id}" for c in citing))
        quote, clause = "7.3", "7.3"
        if row.status == "indefinite":
            formula, quote, clause = f"{row.section} survives indefinitely", "7.3(i)", "7.3(i)"
        elif row.section == terms.tax_section:
            statute = facts.tax_statute
            formula = (
                f"continues through the expiration of the statute of limitations on {statute} (a 2.11 claim may be "
                "asserted that day); a claim asserted by then keeps 2.11 alive, for new claims too, until three "
                "months after its final resolution (readings 6)"
                if statute
                else "continues through the statute of limitations: no TaxLimitationPeriodRecorded yet"
            )
            quote, clause = "7.3(ii)", "7.3(ii)"
            pos = sorted({*pos, *cite(facts, "survival:2.11")})
        elif closing is None:
            formula = "two years after the Closing Date; Closing has not occurred"
        else:
            formula = f"Closing {closing} + {terms.survival_years} years = {representation_expiry(terms, closing)}"
        for c in citing:
            end = f"{c.status} on {c.closed_on}" if c.closed_on else "pending"
            formula += f"; claim {c.claim_id} {asserted_text(c)}, {end}"
            if row.status == "extended":
                quote, clause = ("7.3(ii)", "7.3(ii)") if row.section == terms.tax_section else ("7.3(iv)", "7.3(iv)")
        formula += f"; status {row.status} on {state.as_of}" + (
            f", expires on {row.expires_on}" if row.expires_on else ""
        )
        if row.note:
            formula += f". {row.note}"
        out.append(explained(f"survival.{row.section}", formula, clause, quote, pos))
    return out


def _claims(facts: Facts) -> list[Explanation]:
    out = []
    for c in facts.claims.values():
        formula = f"{c.claimant} claim under {', '.join(c.sections)} {asserted_text(c)} for {num(c.amount)}"
        if c.status == "resolved":
            formula += f"; finally resolved {c.closed_on} at {num(c.resolved_amount)}"
            if c.surrendered_shares:
                formula += f", {c.surrendered_shares} escrow shares surrendered (8.1(c))"
        elif c.status == "withdrawn":
            formula += f"; withdrawn {c.closed_on}"
        positions = sorted({*c.positions, *cite(facts, f"derived:{c.claim_id}")})
        out.append(explained(f"claims.{c.claim_id}", formula, "8.3", "8.3", positions))
    return out


def explain_state(facts: Facts, state: AgreementState) -> dict[str, Explanation]:
    """Every explained figure of ``state`` by its dotted key, with the value ``state --json`` shows."""
    flat = flatten(state.model_dump(mode="json"))
    items = [
        *closing_explanations(facts, state),
        *earnout_explanations(facts, state),
        *_escrow(facts, state),
        *_indemnity(facts, state, "buyer"),
        *_indemnity(facts, state, "sellers"),
        *_purchase_price(facts, state),
        *_survival(facts, state),
        *_claims(facts),
    ]
    rows: dict[str, dict[str, object]] = {}
    for key, value in flat.items():
        row, _, name = key.rpartition(".")
        rows.setdefault(row, {})[name] = value
    return {x.figure: x.model_copy(update={"value": flat.get(x.figure, rows.get(x.figure))}) for x in items}


def explanations(
    events: Iterable[LedgerEvent], as_of: date, known_at: datetime | None = None
) -> tuple[AgreementState, dict[str, Explanation]]:
    """The state at (as_of, known_at) and the explanation of each of its figures."""
    ledger = fold(events, as_of, known_at)
    state = state_of(ledger, as_of, known_at)
    return state, explain_state(ledger.facts, state)


def find(explained_figures: dict[str, Explanation], state: AgreementState, figure: str) -> Explanation:
    """The explanation of ``figure`` (a row's field falls back to the row), or InvalidInput
    listing the closest keys."""
    if figure in explained_figures:
        return explained_figures[figure]
    for prefix in ROW_PREFIXES:
        row = ".".join(figure.split(".")[:-1])
        if figure.startswith(prefix) and row in explained_figures:
            return explained_figures[row]
    # suggest only keys that have an explanation (a row's field counts: it falls back to its row)
    flat = flatten(state.model_dump(mode="json"))
    rows = [key for key in flat if key.startswith(ROW_PREFIXES) and key.rsplit(".", 1)[0] in explained_figures]
    known = list(dict.fromkeys([*explained_figures, *rows]))
    close = difflib.get_close_matches(figure, known, n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `apa-ledger state --json --explain` for the keys"
    if figure in flat:
        raise InvalidInput(f"{figure[:80]!r} is a figure of the state without an explanation{hint}", "explain")
    raise InvalidInput(f"no explained figure {figure[:80]!r}{hint}", "explain")
