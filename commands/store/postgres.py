"""PostgreSQL store selection: a ``postgresql://`` URL (or the PG* variables) to eventsourcing's settings.

``postgresql://user[:password]@host:port/db?schema=name`` maps to the library's
``POSTGRES_*`` keys; what the URL leaves out comes from PGHOST, PGPORT, PGUSER,
PGPASSWORD and PGDATABASE (eventsourcing itself ignores them). Before the
library's connection pool is built, one direct connection checks that the
server answers, so an unreachable server or a refused login is one clear line
(never a five-second pool time-out), and creates the ``schema`` if it is new.
The password is never part of a message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from commands.store.waiting import LOCK_POLL
from domain.errors import StoreError

SCHEMES = ("postgresql://", "postgres://")
T = TypeVar("T")
CONNECT_TIMEOUT = "5"


def is_postgres(url: str) -> bool:
    return url.startswith(SCHEMES)


def _port(url: str) -> str:
    try:
        port = urlsplit(url).port
    except ValueError:
        raise StoreError("the store URL's port is not a number", "store") from None
    return str(port or os.environ.get("PGPORT", "5432"))


def _recorder_topic() -> str:
    """The recorder's topic from the class itself (imported here: psycopg loads only for PostgreSQL)."""
    from eventsourcing.utils import get_topic

    from commands.store.postgres_recorder import LedgerPostgresRecorder

    return get_topic(LedgerPostgresRecorder)


def postgres_env(url: str) -> dict[str, str]:
    """eventsourcing's POSTGRES_* settings from a URL, with the usual PG* variables as fallbacks."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": _recorder_topic(),
        "POSTGRES_HOST": parts.hostname or os.environ.get("PGHOST", "127.0.0.1"),
        "POSTGRES_PORT": _port(url),
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or os.environ.get("PGDATABASE", "postgres"),
        "POSTGRES_USER": unquote(parts.username or "") or os.environ.get("PGUSER", "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or "") or os.environ.get("PGPASSWORD", ""),
        # One connection per process suffices for the CLI; a few more for threaded callers.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
        # An append waits for the table lock this long at a try (the library's default, 0, is
        # for ever), then tries again until $APA_LEDGER_WRITE_TIMEOUT (``waiting.while_locked``).
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_POLL),
    }
    if query.get("schema", [""])[0]:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    return env


def describe_postgres(url: str) -> str:
    """The store's location for messages: user, host, port, database and schema, never a password."""
    env = postgres_env(url)
    schema = f"?schema={env['POSTGRES_SCHEMA']}" if "POSTGRES_SCHEMA" in env else ""
    return (
        f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
        f"/{env['POSTGRES_DBNAME']}{schema}"
    )


def redact(message: str, url: str) -> str:
    """The first line of ``message`` without the URL's password or $PGPASSWORD."""
    parts = urlsplit(url) if "://" in url else None
    secrets = [parts.password, unquote(parts.password or "")] if parts else []
    secrets.append(os.environ.get("PGPASSWORD"))
    for secret in filter(None, secrets):
        message = message.replace(secret, "***")
    return message.strip().splitlines()[0] if message.strip() else message


def _reason(error: Exception) -> str:
    """psycopg's 'connection failed: connection to server at ... failed: FATAL:  role "x" ...' -> the cause."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    cause = text.rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip()
    return cause[:1].lower() + cause[1:]


def connect_direct(env: dict[str, str], timeout: int = int(CONNECT_TIMEOUT)) -> Any:
    """One autocommit psycopg connection from the library's POSTGRES_* settings (outside its pool)."""
    import psycopg

    return psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=timeout,
        autocommit=True,
    )


def check_postgres(url: str, env: dict[str, str], create: bool, events_table: str = "") -> None:
    """Connect once: a clear StoreError if the server cannot be reached or refuses the login,
    or (unless ``create``) holds no ledger; create the schema named in the URL when ``create``
    (the library creates the tables).

    When ``events_table`` already exists, ``CREATE_TABLE`` is turned off in ``env``: the
    library would otherwise re-run its DDL on every open, and concurrent opens then fail
    with "tuple concurrently updated" (seen with four processes racing)."""
    import psycopg
    from psycopg import sql

    try:
        with connect_direct(env) as conn:
            schema = env.get("POSTGRES_SCHEMA")
            if schema is not None:
                found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
                if found is None and not create:
                    raise StoreError(
                        f"no ledger in {describe_postgres(url)} (schema {schema!r} does not exist)", "store"
                    )
                if found is None:
                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            if events_table:
                name = sql.SQL(".").join([sql.Identifier(schema or "public"), sql.Identifier(events_table)])
                table = conn.execute("SELECT to_regclass(%s)", (name.as_string(conn),)).fetchone()
                if table is not None and table[0] is not None:
                    env["CREATE_TABLE"] = "n"
                elif not create:  # a read creates nothing: no table, no function, no schema
                    raise StoreError(f"no ledger in {describe_postgres(url)} (no table {events_table})", "store")
    except psycopg.Error as exc:
        reason = redact(_reason(exc), url)
        raise StoreError(f"cannot open the store {describe_postgres(url)}: {reason}", "store") from None


DDL_RACES = ("concurrently updated", "already exists", "duplicate key value")


def construct_postgres(factory: Callable[..., T], env: dict[str, str], attempts: int = 3) -> T:
    """Build the application; if another process is creating the same new store's tables at
    this moment, the library's DDL can collide with it: wait a moment and try again."""
    for attempt in range(1, attempts + 1):
        try:
            return factory(env=env)
        except Exception as exc:
            if attempt == attempts or not any(race in str(exc) for race in DDL_RACES):
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
