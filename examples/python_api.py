"""The Python API in one script: a store, an agreement, a batch of facts, the state on a date.

Run it from the repository with the project's venv:  .venv/bin/python examples/python_api.py [STORE]
(tests/test_api.py runs it and checks what it prints).
"""

import sys

from commands.api import Ledger
from domain.errors import LedgerError

store = sys.argv[1] if len(sys.argv) > 1 else "example.sqlite"
ledger = Ledger.open(store)
ledger.register("APA-2002")
ledger.apply(
    "APA-2002",
    [
        {"type": "EffectiveDateReached", "occurred_on": "2002-12-06"},
        {"type": "EscrowDeposited", "occurred_on": "2002-12-06", "shares": 25000},
        {"type": "ClosingOccurred", "occurred_on": "2003-04-10"},
        {
            "type": "ClaimAsserted",
            "occurred_on": "2004-01-15",
            "claim_id": "C1",
            "claimant": "buyer",
            "sections": ["2.14"],
            "amount": "40000",
        },
    ],
)
state = ledger.state("APA-2002", as_of="2004-02-01")  # the model `state --json` prints
print(state.status, state.escrow.reserved_shares, state.indemnity.buyer.pending_losses)
print(ledger.explain("APA-2002", "escrow.reserved_shares", as_of="2004-02-01").clause)

try:  # the CLI's errors, as exceptions: nothing of a rejected batch is appended
    ledger.apply("APA-2002", [{"type": "ClaimResolved", "occurred_on": "2004-03-01", "claim_id": "C9", "amount": "1"}])
except LedgerError as error:
    print("refused:", error)

print(ledger.verify().message)
