"""The agreement's terms as data, with the Buyers United / I-Link APA as the default.

Every number here is read from the text of the Asset Purchase Agreement of
December 6, 2002; the same mechanics serve another agreement with other figures.
"""

# No ``from __future__ import annotations`` here (STYLE habit 5, set aside on purpose): pydantic
# resolves string annotations one by one when each model class is created, which would
# slow this module's import, paid by every CLI command (``python -X importtime``; see
# docs/benchmarks.md). The annotations below are all valid at run time.

from datetime import date
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.business_days import DEFAULT_CALENDAR, check_calendar
from domain.stored_form import omitted_at_default
from domain.values import LedgerDate, Money, Month, Shares

# Sections of Articles II and III with their headings (headings are not part of
# the agreement under 9.6, but they are how people name the sections).
REPRESENTATIONS: dict[str, str] = {
    "2.1": "Organization",
    "2.2": "Authorization of Transaction",
    "2.3": "Non-contravention",
    "2.4": "Permits; Compliance with Law",
    "2.5": "Litigation; Orders",
    "2.6": "Periodic Reports",
    "2.7": "Subsequent Events",
    "2.8": "Employee Plans",
    "2.9": "Environmental Regulation, Etc.",
    "2.10": "Employment Practices",
    "2.11": "Taxes",
    "2.12": "Title to Assets",
    "2.13": "Intellectual Property",
    "2.14": "Assigned Contracts",
    "2.15": "No Brokers",
    "2.16": "Warranties",
    "2.17": "Investment Intent",
    "3.1": "Organization and Related Matters",
    "3.2": "Capitalization",
    "3.3": "Authorization",
    "3.4": "Non-contravention",
    "3.5": "Legal Proceedings",
    "3.6": "Periodic Reports",
    "3.7": "Buyer Securities",
    "3.8": "No Brokers",
}

# Every other section a claim may cite (covenants and other undertakings).
OTHER_SECTIONS: tuple[str, ...] = (
    *(f"1.{i}" for i in range(1, 6)),
    *(f"4.{i}" for i in range(1, 8)),
    *(f"5.{i}" for i in range(1, 7)),
    *(f"6.{i}" for i in range(1, 4)),
    *(f"7.{i}" for i in range(1, 4)),
    *(f"8.{i}" for i in range(1, 7)),
    *(f"9.{i}" for i in range(1, 19)),
)

SURVIVAL_NOTES: dict[str, str] = {
    "3.4": (
        '7.3(i) names "3.4 (No Brokers)"; 3.4 is headed Non-contravention and No Brokers '
        "is 3.8. Under 9.6 headings are not part of the agreement, so the number governs: "
        "3.4 survives indefinitely (readings 6)."
    ),
    "3.8": (
        '7.3(i) names "3.4 (No Brokers)", but 9.6 makes headings no part of the agreement, '
        "so 3.8 (No Brokers) is not among the indefinite sections and expires two years "
        "after Closing (readings 6)."
    ),
}


class Terms(BaseModel):
    """The economic and calendar terms the contract rules read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agreement_date: LedgerDate = date(2002, 12, 6)  # preamble; 1.4 Effective Date
    # 1.3: 205,000 Series B shares valued at $2,050,000 ($10 liquidation value, 3.2).
    securities_shares: Shares = 205_000
    closing_shares: Shares = 105_000
    escrow_shares: Shares = 25_000  # 8.1(c)
    earnout_shares: Shares = 75_000  # "Earnout Shares", 1.5
    liquidation_value: Money = Decimal("10.00")
    # 1.5(b): one installment per month, January 2003 through February 2004.
    earnout_first_month: Month = "2003-01"
    earnout_installments: int = Field(default=14, ge=1, le=120)
    # "BP Event": the 14-month period commencing January 1, 2003.
    bp_window_start: LedgerDate = date(2003, 1, 1)
    bp_window_end: LedgerDate = date(2004, 2, 29)
    measurement_last_month: Month = "2004-02"
    margin_base_month: Month = "2003-01"  # D: "the month of January 2003"
    margin_decay: Decimal = Decimal("0.97")  # D: "reduced by three percent"
    settlement_days: int = 30  # 1.5(b): "within 30 days following the end of the Measurement Period"
    cancellation_not_before: LedgerDate = date(2004, 3, 1)  # 1.5(c): "the later of March 1, 2004"
    deemed_event_min_months: int = 4  # BP Event (c): "not be less than four
    deemed_event_max_months: int = 7  # nor more than seven months"
    closing_deadline: LedgerDate = date(2003, 5, 31)  # 7.1
    allowance: Money = Decimal("25000.00")  # 8.1(b), 8.2(b)
    escrow_cap: Money = Decimal("250000.00")  # 8.1(c)
    survival_years: int = 2  # 7.3
    indefinite_sections: tuple[str, ...] = ("2.1", "2.15", "3.1", "3.2", "3.4")  # 7.3(i)
    tax_section: str = "2.11"  # 7.3(ii)
    tax_claim_tail_months: int = 3  # 7.3(ii): "three months after ... final resolution"
    restricted_period_years: int = 3  # 5.1(a): "three years after the date hereof"
    redemption_not_before: LedgerDate = date(2007, 12, 6)  # 5.6
    offset_interest_rate: Decimal = Decimal("0.06")  # 8.6: "6% per annum"
    offset_day_count: int = 365  # readings 7: actual/365
    employee_reimbursement_days: int = 10  # 4.7
    tax_reimbursement_days: int = 10  # 8.3(b)(i)
    net_tax_benefit_days: int = 15  # 8.3(b)(ii)
    representations: dict[str, str] = Field(default_factory=lambda: dict(REPRESENTATIONS))
    # Added after stores existed: left out of the stored and hashed JSON while they hold these
    # defaults (domain.stored_form), so every AgreementRegistered already stored still verifies.
    # "Closing" (1.1): "three business days following" the last item of 6.1; 9.4: Utah law, so
    # the public holidays of the United States and of Utah (domain.business_days).
    business_calendar: str = omitted_at_default(DEFAULT_CALENDAR)
    closing_business_days: int = omitted_at_default(3, ge=0, le=60)
    # The names the outputs show (report, calendar, Datasette), from the preamble: "THIS ASSET
    # PURCHASE AGREEMENT is entered into as of December 6, 2002, among Buyers United Inc. ...
    # ("Buyer"), I-Link Communications Inc. ... and I-Link Incorporated ... the "Sellers"".
    title: str = omitted_at_default("Asset Purchase Agreement", min_length=1, max_length=200)
    buyer: str = omitted_at_default("Buyers United Inc.", min_length=1, max_length=200)
    sellers: str = omitted_at_default(
        "I-Link Communications Inc. and I-Link Incorporated", min_length=1, max_length=400
    )
    # Who delivers the Earnout Shares to the Sellers, by the name the agreement defines (1.1:
    # ""CRS" is Cohne, Rappaport & Segal, P.C."; 1.5(b): "CRS shall deliver to Sellers ...").
    earnout_agent: str = omitted_at_default("CRS", min_length=1, max_length=200)

    @field_validator("business_calendar")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        """The calendar names a holiday calendar the ``holidays`` package has (checked only
        for a calendar other than the default, which is known)."""
        return value if value == DEFAULT_CALENDAR else check_calendar(value)

    @model_validator(mode="after")
    def _securities_add_up(self) -> Self:
        """1.3 and 1.5: the Buyer Securities are the closing, escrow and earnout shares."""
        parts = self.closing_shares + self.escrow_shares + self.earnout_shares
        if parts != self.securities_shares:
            raise ValueError(
                f"closing ({self.closing_shares}) + escrow ({self.escrow_shares}) + earnout "
                f"({self.earnout_shares}) shares must equal the Buyer Securities "
                f"({self.securities_shares}) (1.3)"
            )
        if self.bp_window_end < self.bp_window_start:
            raise ValueError("the BP Event window ends before it starts")
        if not Decimal(0) < self.margin_decay <= Decimal(1):
            raise ValueError("margin_decay must be in (0, 1]")
        if self.deemed_event_min_months > self.deemed_event_max_months:
            raise ValueError("deemed_event_min_months exceeds deemed_event_max_months")
        return self

    @property
    def securities_value(self) -> Decimal:
        """1.3: the value of the Buyer Securities ($2,050,000)."""
        return self.securities_shares * self.liquidation_value

    @property
    def heading(self) -> str:
        """The agreement as the outputs name it: its title and date (preamble)."""
        day = self.agreement_date
        return f"{self.title} of {day:%B} {day.day}, {day.year}"

    @property
    def parties(self) -> str:
        """The Parties as the preamble defines them: the Buyer and the Sellers."""
        return f"{self.buyer} (Buyer); {self.sellers} (Sellers)"

    @property
    def restricted_period_end(self) -> date:
        """5.1(a): three years after the date of the agreement."""
        from domain.dates import add_years

        return add_years(self.agreement_date, self.restricted_period_years)

    def claimable_sections(self) -> set[str]:
        return set(self.representations) | set(OTHER_SECTIONS)


DEFAULT_TERMS = Terms()
