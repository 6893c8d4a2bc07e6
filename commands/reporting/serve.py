"""`apa-ledger serve`: Datasette over the read model, in this process, answering only its own names.

A page a browser loads from another site can make the browser ask a local server for data
under that site's name (DNS rebinding): the request arrives with a Host header naming the
other site. So every request is checked against the names the server was started for (its
``--host``, ``localhost`` for a loopback address, and each ``--allow-host``) and refused with
400 otherwise. The metadata is handed to Datasette in memory (no file is written), and the
library's ``tracking`` table is hidden from the table list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from commands.reporting.datasette_metadata import metadata, model_terms

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def allowed_names(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names the server answers to: its own, all loopback names for a loopback
    address, and ``extra``."""
    names = {host.strip("[]").lower(), *(name.lower() for name in extra)}
    if names & LOOPBACK:
        names |= LOOPBACK
    return frozenset(names)


def host_name(header: str) -> str:
    """The name in a Host header, without its port ("[::1]:8001" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def checking_host(app: App, names: frozenset[str]) -> App:
    """``app`` answering only requests whose Host header names one of ``names`` (400 otherwise)."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            headers = dict(scope.get("headers") or [])
            host = host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in names:
                body = b"Host not allowed: this server answers only to " + ", ".join(sorted(names)).encode() + b"\n"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return checked


def reporting_app(db: str, names: frozenset[str]) -> App:
    """Datasette over the read model ``db`` with its metadata (tracking table hidden), Host-checked."""
    from pathlib import Path

    from datasette.app import Datasette

    meta = metadata(Path(db).stem, model_terms(db))
    meta["databases"][Path(db).stem]["tables"] = {
        **meta["databases"][Path(db).stem]["tables"],
        "tracking": {"hidden": True},
    }
    ds = Datasette([db], metadata=meta, settings={"sql_time_limit_ms": 3000})
    return checking_host(ds.app(), names)
