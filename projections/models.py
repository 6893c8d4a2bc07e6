"""The shape of ``state --json``: immutable pydantic models whose keys are the interface."""

# No ``from __future__ import annotations`` here (STYLE habit 5, set aside on purpose): pydantic
# resolves string annotations one by one when each model class is created, which would
# slow this module's import, paid by every CLI command (``python -X importtime``; see
# docs/benchmarks.md). The annotations below are all valid at run time.

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.values import Figure


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScheduleItem(Frozen):
    on: date
    shares: int
    kind: Literal["catch-up", "installment", "settlement", "cancellation"]


class BPEventState(Frozen):
    clause: str
    occurred_on: date
    governing_date: date
    undelivered_shares: int
    measurement_start: date
    measurement_end: date
    months: int
    assumed_margin_total: Figure | None
    actual_margin_total: Figure
    capped_margin: Figure | None
    settlement_shares: int | None
    missing_months: list[str]
    settlement_due_by: date
    cancellation_on: date


class EarnoutState(Frozen):
    total_shares: int
    released_shares: int
    cancelled_shares: int
    pending_shares: int
    terminated_shares: int = 0  # 7.2, readings 3: ended by a termination under 7.1 (then nothing is pending)
    delivered_shares: int
    bp_event: BPEventState | None
    schedule: list[ScheduleItem]


class EscrowState(Frozen):
    deposited_shares: int
    surrendered_shares: int
    released_shares: int
    balance_shares: int
    reserved_shares: int
    available_shares: int
    liquidation_value_per_share: Figure


class IndemnitySide(Frozen):
    allowance: Figure
    resolved_losses: Figure
    pending_losses: Figure
    allowance_exceeded: bool
    payable: Figure
    offset: Figure  # 8.6, readings 5: satisfied by offset against withheld payments
    satisfied_in_shares: Figure
    shares_due_outside_escrow: int  # 8.1(c), readings 5: Buyer Securities due beyond what the escrow held
    cash_due: Figure


class IndemnityState(Frozen):
    buyer: IndemnitySide
    sellers: IndemnitySide


class ClaimState(Frozen):
    claim_id: str
    claimant: str
    sections: list[str]
    asserted_on: date
    status: Literal["pending", "resolved", "withdrawn"]
    amount: Figure
    resolved_amount: Figure | None
    resolved_on: date | None = None
    surrendered_shares: int = 0


class SurvivalRow(Frozen):
    section: str
    title: str
    expires_on: date | None
    status: Literal["not-started", "surviving", "extended", "expired", "indefinite", "until-statute-of-limitations"]
    note: str | None = None


class Obligation(Frozen):
    clause: str
    description: str
    due_on: date
    status: Literal["upcoming", "due", "done", "overdue"]
    ref: str = Field(default="", exclude=True)  # stable id (calendar UID, read model key); not in state --json


class ConditionState(Frozen):
    on: date
    waived: bool


class ClosingState(Frozen):
    """The Closing Date the definition of "Closing" (1.1) gives from the conditions of 6.1, and
    whether the Closing took place on it or on a date the Parties agreed (1.5(a))."""

    conditions: dict[str, ConditionState]
    outstanding_conditions: list[str]
    conditions_met_on: date | None
    last_conditions: list[str]
    business_days: int
    business_calendar: str
    skipped_days: list[str]
    due_on: date | None
    agreed_other_date: bool | None


class PaymentState(Frozen):
    payment_id: str
    due_on: date
    amount: Figure
    withheld: Figure
    withheld_on: date | None
    released: Figure
    released_on: date | None
    interest: Figure
    outstanding_withheld: Figure
    offset: Figure


class OffsetState(Frozen):
    withholding_permitted: bool
    withheld_outstanding: Figure
    interest_paid: Figure
    payments: list[PaymentState]


class PurchasePriceState(Frozen):
    securities_shares: int
    securities_value: Figure
    cancelled_earnout_value: Figure
    reduction: Figure


class AgreementState(Frozen):
    agreement_id: str
    as_of: date
    known_at: datetime | None
    status: Literal["signed", "closed", "terminated"]
    effective_date: date | None
    closing_date: date | None
    closing: ClosingState
    earnout: EarnoutState
    escrow: EscrowState
    indemnity: IndemnityState
    claims: list[ClaimState]
    survival: list[SurvivalRow]
    obligations: list[Obligation]
    purchase_price: PurchasePriceState
    offset: OffsetState
