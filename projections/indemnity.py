"""8.1-8.2: each side's Losses, the Allowance, and how the payable amount is satisfied."""

from __future__ import annotations

from decimal import Decimal

from domain.events import (
    CashIndemnityDue,
    ClaimAsserted,
    ClaimResolved,
    ClaimRevised,
    ClaimWithdrawn,
    LedgerEvent,
    SharesSurrendered,
    base_section,
    trusted_model,
)
from domain.indemnity import Satisfaction, allowance_exceeded, escrow_part, payable_losses, satisfaction
from domain.notices import effect
from domain.offset import offsets
from projections.checks import Handler, reject, require_effective
from projections.cited import Cited
from projections.facts import ZERO, Claim, Facts, Losses, Movement, Payment, recalled
from projections.models import ClaimState, IndemnitySide, IndemnityState
from projections.survival import new_claim_refusal


def buyer_satisfaction(
    facts: Facts, hypothetical: list[tuple[str, Decimal]] | None = None
) -> tuple[Satisfaction, list[Decimal]]:
    """8.1(c), 8.6, readings 5: how the Buyer's payable Losses are satisfied, each dollar once -
    offset against the payments withheld for them, then Buyer Securities, then cash - with what
    each payment gives to the offset beyond what it gave already.

    As the facts stand, the resolved claims not yet counted (all of them once the Allowance is
    first exceeded) are offset now; with ``hypothetical`` (claim id, amount) pairs - the pending
    claims at their claimed amounts, for the escrow reserve - as if those were resolved too."""
    resolved_claims = facts.claims_of("buyer", "resolved")
    unsettled = [c for c in resolved_claims if not c.settled]
    payments = list(facts.payments.values())
    return _satisfaction(facts, unsettled, _losses_of(resolved_claims), hypothetical, payments, _offset(payments))


def _losses_of(claims: list[Claim]) -> Decimal:
    """The claims' resolved Losses, summed in their order as ``Facts.resolved_losses`` sums them
    (the same exact Decimal) - for the Buyer's resolved claims, that total."""
    total = ZERO
    for c in claims:
        total += c.resolved_amount or ZERO
    return total


def _offset(payments: list[Payment]) -> Decimal:
    """8.6: what the payments gave to the offset so far, summed in their order."""
    total = ZERO
    for p in payments:
        total += p.offset
    return total


def _satisfaction(
    facts: Facts,
    unsettled: list[Claim],
    resolved: Decimal,
    hypothetical: list[tuple[str, Decimal]] | None,
    payments: list[Payment],
    offset_before: Decimal,
) -> tuple[Satisfaction, list[Decimal]]:
    """``buyer_satisfaction`` given the Buyer's resolved claims not yet counted (in the order of
    the claims; sorted here), the total of all its resolved claims, the payments and what they
    gave to the offset so far (``_offset``: a resolution reads it twice)."""
    terms = facts.terms
    if len(unsettled) > 1:  # at most resolutions, the one claim just resolved
        unsettled.sort(key=lambda c: (c.closed_on, c.positions[-1]))
    claims = [(c.claim_id, c.resolved_amount or ZERO) for c in unsettled]
    if hypothetical is not None:
        claims += hypothetical
        resolved += sum((amount for _, amount in hypothetical), ZERO)
    payable = payable_losses(terms, resolved)
    if payable <= 0:
        taken: list[Decimal] = []
    elif _never_withheld(payments):
        return satisfaction(terms, payable, offset_before), [ZERO] * len(payments)
    else:
        taken = offsets(claims, [(p.held, p.covers) for p in payments])
    offset = offset_before + sum(taken, ZERO)
    return satisfaction(terms, payable, offset), taken


def _never_withheld(payments: list[Payment]) -> bool:
    """8.6: no payment was ever withheld or paid back (each still holds the ``ZERO`` it was made
    with), so each gives ``offsets``' Decimal("0") to every offset and adding it changes no digit
    nor exponent: a resolution skips the 20 or so Decimal operations that would find so."""
    return all(p.withheld is ZERO and p.released is ZERO for p in payments)


def settle_buyer_losses(facts: Facts, claim: Claim) -> None:
    """8.1(c), 8.6, readings 5: at the resolution of the Buyer's ``claim``, what became payable
    is satisfied in order - offset against the withheld payments, then escrow shares at $10,
    then Buyer Securities due outside the escrow when it holds too few, then cash - and the
    change is the claim's (what its derived SharesSurrendered and CashIndemnityDue record).
    Nothing is satisfied twice: the figures only grow, from what earlier resolutions took.
    The Buyer's resolved claims are listed and summed in one pass that every step reads (a
    resolution is folded for every claim, and each step went over all the claims again)."""
    resolved = counted = ZERO  # both summed in the claims' order, as _losses_of sums them
    unsettled = []
    for c in facts.claims.values():
        if c.claimant != "buyer" or c.status != "resolved":
            continue
        amount = c.resolved_amount or ZERO
        resolved += amount
        if c.settled:
            counted += amount
        else:
            unsettled.append(c)
    terms = facts.terms
    if not allowance_exceeded(terms, resolved):
        return  # 8.1(b): nothing is payable yet
    payments = list(facts.payments.values())
    offset = _offset(payments)
    before = _current(facts, payable_losses(terms, counted), offset)
    now, taken = _satisfaction(facts, unsettled, resolved, None, payments, offset)
    if not _never_withheld(payments):
        for payment, amount in zip(payments, taken, strict=True):
            payment.offset += amount
    for c in unsettled:
        c.settled = True
    from_escrow, outside = escrow_part(now.shares - before.shares, facts.escrow_balance)
    facts.escrow_surrendered += from_escrow
    facts.outside_shares += outside
    claim.surrendered_shares, claim.outside_shares = from_escrow, outside
    claim.offset = now.offset - before.offset
    claim.cash_due = now.cash - before.cash


def _current(facts: Facts, payable: Decimal, offset: Decimal) -> Satisfaction:
    """What the earlier resolutions satisfied (``payable``: the payable amount of the Buyer's
    resolved claims they counted; ``offset``: what the payments gave to the offset): the offset
    taken, the shares surrendered in and outside the escrow, and the cash that leaves."""
    shares = facts.escrow_surrendered + facts.outside_shares
    return Satisfaction(offset, shares, payable - offset - shares * facts.terms.liquidation_value)


def indemnity_side(facts: Facts, claimant: str, losses: Losses | None = None) -> IndemnitySide:
    """8.1(b)/8.2(b): tipping Allowance. 8.1(c), 8.6, readings 5: the Buyer's payable Losses are
    satisfied by offset, then in Buyer Securities at $10 (in the escrow, or due outside it), then
    in cash; payable = offset + satisfied_in_shares + cash_due. Sellers' claims against Buyer
    under 8.2 are paid in cash. ``losses``: ``facts.losses()``, if already summed."""
    terms = facts.terms
    resolved = losses[claimant, "resolved"] if losses is not None else facts.resolved_losses(claimant)
    pending = losses[claimant, "pending"] if losses is not None else facts.pending_losses(claimant)
    payable = payable_losses(terms, resolved)
    offset, outside, in_shares = ZERO, 0, ZERO
    if claimant == "buyer":
        offset = sum((p.offset for p in facts.payments.values()), ZERO)
        outside = facts.outside_shares
        in_shares = (facts.escrow_surrendered + outside) * terms.liquidation_value
    return trusted_model(
        IndemnitySide,
        dict(
            allowance=terms.allowance,
            resolved_losses=resolved,
            pending_losses=pending,
            allowance_exceeded=allowance_exceeded(terms, resolved),
            payable=payable,
            offset=offset,
            satisfied_in_shares=in_shares,
            shares_due_outside_escrow=outside,
            cash_due=payable - offset - in_shares,
        ),
    )


def indemnity_state(facts: Facts) -> IndemnityState:
    return trusted_model(
        IndemnityState, dict(buyer=indemnity_side(facts, "buyer"), sellers=indemnity_side(facts, "sellers"))
    )


def claims_state(facts: Facts) -> list[ClaimState]:
    """Every claim asserted by the date, in order of assertion."""
    return list(_claims_state(facts))


@recalled
def _claims_state(facts: Facts) -> tuple[ClaimState, ...]:
    return tuple(claim_state(c) for c in sorted(facts.claims.values(), key=lambda c: (c.asserted_on, c.positions[0])))


def claim_state(c: Claim) -> ClaimState:
    """One claim as ``state --json`` shows it (8.3-8.4), built from the checked facts without
    validating them again (``trusted_model``: the read model asks for every claim at every point where
    it changes, and validation was the larger part of the call)."""
    return trusted_model(
        ClaimState,
        {
            "claim_id": c.claim_id,
            "claimant": c.claimant,
            "sections": list(c.sections),
            "asserted_on": c.asserted_on,
            "status": c.status,
            "amount": c.amount,
            "resolved_amount": c.resolved_amount,
            "resolved_on": c.closed_on if c.status == "resolved" else None,
            "surrendered_shares": c.surrendered_shares,
        },
    )


# The fold's handlers of these facts (``projections.ledger`` dispatches to them).


def _asserted(facts: Facts, e: ClaimAsserted) -> None:
    """8.1-8.3 with 7.3: a claim cites sections that have not expired on the day it is asserted."""
    terms = facts.terms
    require_effective(facts, e, "8.3")
    if e.claim_id in facts.claims:
        raise reject(e, f"claim {e.claim_id} was already asserted on {facts.claims[e.claim_id].asserted_on}", "8.3")
    known = facts.claimable
    for cited in e.sections:
        section = base_section(cited)
        if section not in known:
            raise reject(e, f"section {cited} is not a section of the agreement", "8.1, 8.2")
        article = section.split(".")[0]
        if e.claimant == "buyer" and article == "3":
            raise reject(e, f"Buyer cannot claim under its own representation {section}", "8.1(a)")
        if e.claimant == "sellers" and article == "2":
            raise reject(e, f"Sellers cannot claim under their own representation {section}", "8.2(a)")
        late = new_claim_refusal(facts, section, e.occurred_on)
        if late is not None:
            given = f"; the claim's notice is effective on {e.occurred_on}: {effect(e.notice)}" if e.notice else ""
            clause = "7.3(ii)" if section == terms.tax_section else "7.3"
            raise reject(e, f"{late}{given}", f"{clause}, 9.11" if given else clause)
    facts.add_claim(
        Claim(
            claim_id=e.claim_id,
            claimant=e.claimant,
            sections=tuple(e.sections),
            basis=e.basis,
            asserted_on=e.occurred_on,
            amount=e.amount,
            positions=[e.position],
            notice=e.notice,
        )
    )
    facts.cite_key(Cited.CLAIM, e.claim_id, e.position)


def _pending_claim(facts: Facts, e: ClaimRevised | ClaimResolved | ClaimWithdrawn) -> Claim:
    claim = facts.claims.get(e.claim_id)
    if claim is None:
        raise reject(e, f"no claim {e.claim_id} has been asserted by this date", "8.3")
    if claim.status != "pending":
        raise reject(e, f"claim {e.claim_id} was already {claim.status} on {claim.closed_on}", "8.3, 8.4")
    return claim


def _revised(facts: Facts, e: ClaimRevised) -> None:
    """8.3: the amount of a pending claim may be revised."""
    claim = _pending_claim(facts, e)
    claim.amount = e.amount
    claim.positions.append(e.position)
    facts.cite_key(Cited.CLAIM, e.claim_id, e.position)


def _resolved(facts: Facts, e: ClaimResolved) -> None:
    """8.3, 8.4: a claim is finally resolved at an amount of Losses. For Buyer's claims, what
    becomes payable is satisfied once, in the order of readings 5 (``settle_buyer_losses``):
    offset (8.6), escrow shares, Buyer Securities outside the escrow, cash (8.1(c))."""
    terms = facts.terms
    claim = _pending_claim(facts, e)
    sellers_before = payable_losses(terms, facts.resolved_losses("sellers")) if claim.claimant == "sellers" else ZERO
    claim.status, claim.resolved_amount, claim.closed_on = "resolved", e.amount, e.occurred_on
    claim.positions.append(e.position)
    facts.cite_key(Cited.CLAIM, e.claim_id, e.position)
    facts.cite_key(Cited.LOSSES, claim.claimant, e.position)
    if claim.claimant != "buyer":
        claim.cash_due = payable_losses(terms, facts.resolved_losses("sellers")) - sellers_before
        return
    surrendered = facts.escrow_surrendered
    settle_buyer_losses(facts, claim)
    if facts.escrow_surrendered != surrendered:
        facts.escrow_movements.append(
            Movement(e.occurred_on, "surrender", facts.escrow_surrendered - surrendered, e.claim_id, e.position)
        )
        facts.cite(Cited.ESCROW, e.position)
    if claim.offset:
        facts.cite(Cited.OFFSET, e.position)


def _withdrawn(facts: Facts, e: ClaimWithdrawn) -> None:
    """8.3: a pending claim may be withdrawn; it then reserves nothing and extends nothing."""
    claim = _pending_claim(facts, e)
    claim.status, claim.closed_on = "withdrawn", e.occurred_on
    claim.positions.append(e.position)
    facts.cite_key(Cited.CLAIM, e.claim_id, e.position)


def _derived(facts: Facts, e: SharesSurrendered | CashIndemnityDue) -> None:
    """Derived records of a resolution: the fold recomputes them from ClaimResolved."""
    facts.cite_key(Cited.DERIVED, e.claim_id, e.position)


CLAIM_HANDLERS: dict[type[LedgerEvent], Handler] = {  # type: ignore[dict-item]
    ClaimAsserted: _asserted,
    ClaimRevised: _revised,
    ClaimResolved: _resolved,
    ClaimWithdrawn: _withdrawn,
    SharesSurrendered: _derived,
    CashIndemnityDue: _derived,
}
"""The fold's checks of 8.1-8.4 with 7.3, each fact checked then applied (``projections.ledger``)."""
