"""A portfolio view: every agreement in a store with its status and headline figures on a date.

Each agreement is read by its own id (``LedgerStore.load``: one indexed query
for its events, never a scan of the others) and projected with the same
``project`` as ``state``, so the figures here are the figures ``state`` shows.
Agreements are independent, so a large portfolio is worked out on every core
(``commands.workers``), in the order the agreements were registered.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from commands import workers as pool_of
from commands.store.application import LedgerStore
from domain.values import Figure
from projections.state import project


class AgreementSummary(BaseModel):
    """One agreement's headline figures (the keys of ``agreements --json``)."""

    model_config = ConfigDict(frozen=True)

    agreement_id: str
    status: str
    closing_date: date | None
    events: int
    released_shares: int  # 1.5(b)
    cancelled_shares: int  # 1.5(c)
    pending_shares: int  # 1.5(b)
    escrow_balance_shares: int  # 8.1(c)
    buyer_payable: Figure  # 8.1(b): Buyer's losses payable past the Allowance


class PortfolioTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    agreements: int
    events: int
    released_shares: int
    cancelled_shares: int
    pending_shares: int
    escrow_balance_shares: int
    buyer_payable: Figure


class Portfolio(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: date
    known_at: datetime | None
    agreements: list[AgreementSummary]
    totals: PortfolioTotals


def summarise(
    store: LedgerStore, agreement_id: str, as_of: date, known_at: datetime | None = None
) -> AgreementSummary | None:
    """The headline figures of one agreement, from its own events only; None if it was not yet
    registered at ``known_at`` (preamble: the ledger knew no such agreement then)."""
    events = store.load(agreement_id).events
    if known_at is not None and events[0].recorded_at > known_at:
        return None
    state = project(events, as_of, known_at)
    return AgreementSummary(
        agreement_id=agreement_id,
        status=state.status,
        closing_date=state.closing_date,
        events=sum(1 for e in events if known_at is None or e.recorded_at <= known_at),
        released_shares=state.earnout.released_shares,
        cancelled_shares=state.earnout.cancelled_shares,
        pending_shares=state.earnout.pending_shares,
        escrow_balance_shares=state.escrow.balance_shares,
        buyer_payable=state.indemnity.buyer.payable,
    )


def summaries(
    store: LedgerStore, as_of: date, known_at: datetime | None = None, workers: int | None = None
) -> Iterator[AgreementSummary]:
    """Every agreement's summary, in the order registered (those registered after ``known_at``
    left out), worked out here or, with ``workers`` > 1 (processes, this one among them; None:
    every core from ``AGREEMENTS_FROM`` agreements), here and in ``workers - 1`` worker processes."""
    ids = store.agreement_ids()
    found = pool_of.each_on_every_core(
        store, ids, summarise, workers, pool_of.AGREEMENTS_FROM, as_of=as_of, known_at=known_at
    )
    return (summary for summary in found if summary is not None)


def portfolio(
    store: LedgerStore, as_of: date, known_at: datetime | None = None, workers: int | None = None
) -> Portfolio:
    """Every agreement in the store as of ``as_of`` (as known at ``known_at``), with totals
    (``workers``: as ``summaries``)."""
    rows = list(summaries(store, as_of, known_at, workers))
    totals = PortfolioTotals(
        agreements=len(rows),
        events=sum(r.events for r in rows),
        released_shares=sum(r.released_shares for r in rows),
        cancelled_shares=sum(r.cancelled_shares for r in rows),
        pending_shares=sum(r.pending_shares for r in rows),
        escrow_balance_shares=sum(r.escrow_balance_shares for r in rows),
        buyer_payable=sum((r.buyer_payable for r in rows), Decimal("0.00")),
    )
    return Portfolio(as_of=as_of, known_at=known_at, agreements=rows, totals=totals)


HEADINGS = ("agreement", "status", "events", "released", "cancelled", "pending", "escrow", "buyer payable")


def render_portfolio(view: Portfolio) -> str:
    """A table, one agreement a line, figures right-aligned, totals last; each column as wide as
    its widest cell, so a portfolio's totals (millions of shares) line up with its rows."""
    known = f", as known at {view.known_at.isoformat()}" if view.known_at else ""
    t = view.totals
    cells = [
        [
            r.agreement_id,
            r.status,
            *(f"{n:,}" for n in (r.events, r.released_shares, r.cancelled_shares, r.pending_shares)),
            f"{r.escrow_balance_shares:,}",
            f"{r.buyer_payable:,.2f}",
        ]
        for r in view.agreements
    ]
    totals = [f"total ({t.agreements})", ""]
    totals += [f"{n:,}" for n in (t.events, t.released_shares, t.cancelled_shares, t.pending_shares)]
    totals += [f"{t.escrow_balance_shares:,}", f"{t.buyer_payable:,.2f}"]
    widths = [max(len(row[i]) for row in [list(HEADINGS), *cells, totals]) for i in range(len(HEADINGS))]

    def line(row: list[str]) -> str:
        left = [f"{row[i]:<{widths[i]}}" for i in (0, 1)]
        return "  ".join(left + [f"{row[i]:>{widths[i]}}" for i in range(2, len(row))]).rstrip()

    return "\n".join(
        [f"Agreements as of {view.as_of.isoformat()}{known}", *map(line, [list(HEADINGS), *cells, totals])]
    )
