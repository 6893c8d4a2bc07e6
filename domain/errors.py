"""One small tree of ledger errors; each names the clause it enforces."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger reports to a user.

    ``clause`` is the section of the agreement (or the ledger rule) that was
    applied, so that every rejection can be traced to the text.
    """

    def __init__(self, message: str, clause: str = "ledger") -> None:
        super().__init__(message)
        self.message = message
        self.clause = clause

    def __str__(self) -> str:
        return f"{self.message} ({self.clause})"


class InvalidInput(LedgerError):
    """A fact that is malformed: unknown type or field, bad date, month or amount."""


class RuleViolation(LedgerError):
    """A well-formed fact that the agreement forbids in the state it would join."""


class UnknownAgreement(LedgerError):
    """No agreement with that id is registered in the store."""


class ConcurrentWrite(LedgerError):
    """Another writer appended to the same agreement first, and retries ran out."""


class StoreError(LedgerError):
    """The store cannot be opened or read (bad URL, wrong cipher key, ...)."""
