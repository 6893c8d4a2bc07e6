"""PostgreSQL for tests: one reachability check per session, a fresh schema per test.

The server is ``$APA_LEDGER_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test gets its own schema,
created with one statement on a session-wide connection and dropped after the
test, so tests are isolated and may run beside other test sessions.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest

TEST_URL_ENV = "APA_LEDGER_TEST_POSTGRES"
DEFAULT_TEST_URL = "postgresql://postgres@127.0.0.1:5432/test"


def base_url() -> str:
    return os.environ.get(TEST_URL_ENV) or DEFAULT_TEST_URL


@cache
def _admin() -> tuple[Any, str | None]:
    """(connection, None) or (None, why PostgreSQL tests are skipped): tried once per session."""
    from commands.store.postgres import connect_direct, describe_postgres, postgres_env

    try:
        import psycopg
    except ImportError:
        return None, "PostgreSQL tests skipped: psycopg is not installed (pip install -e '.[test]')"
    env = postgres_env(base_url())
    try:
        conn = connect_direct(env, timeout=3)
    except psycopg.Error:
        where = describe_postgres(base_url())
        return None, f"PostgreSQL tests skipped: no server at {where} (set ${TEST_URL_ENV} or start PostgreSQL)"
    return conn, None


def require_postgres() -> Any:
    """The session's admin connection, or skip the test with the one reason."""
    conn, reason = _admin()
    if conn is None:
        pytest.skip(reason or "PostgreSQL tests skipped")
    return conn


def url_for(schema: str) -> str:
    url = base_url()
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A store URL whose schema is new and empty; the schema is dropped afterwards."""
    from psycopg import sql

    conn = require_postgres()
    schema = f"apa_test_{uuid.uuid4().hex[:16]}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield url_for(schema)
    finally:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def skip_reason() -> str | None:
    """Why this session's PostgreSQL tests were skipped (None if they ran or none was asked for)."""
    return _admin()[1] if _admin.cache_info().currsize else None
