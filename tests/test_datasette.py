"""Datasette metadata for the read model: every table and column it names exists, the canned
queries run with plain sqlite3, and (when datasette is installed) through Datasette itself."""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import json
import os
import re
import socket
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from commands.demo import demo_history
from commands.reporting.datasette_metadata import QUERIES, TABLES, metadata
from commands.reporting.export import SCHEMA_VERSION, export
from tests.clirun import APA_LEDGER, run_cli
from tests.ledger import OneAgreement, new_ledger


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OneAgreement]:
    path = tmp_path_factory.mktemp("datasette")
    book = new_ledger(path / "store.sqlite")
    book.apply(*demo_history())
    db = path / "reporting.sqlite"
    export(book.store, str(db))
    return db, book


def test_metadata_names_only_real_tables_and_columns(reporting: tuple[Path, OneAgreement]) -> None:
    """Each described column exists, and each description of a figure cites a clause."""
    db, _ = reporting
    with sqlite3.connect(db) as conn:
        for table, meta in TABLES.items():
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            assert set(meta["columns"]) <= columns, table
            assert meta["title"] and meta["description"]
    cited = [text for t in TABLES.values() for name, text in t["columns"].items() if name.endswith("_shares")]
    assert cited and all(re.search(r"\d\.\d", text) for text in cited)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_canned_query_runs_with_plain_sqlite(reporting: tuple[Path, OneAgreement], name: str) -> None:
    """The canned SQL is plain SQLite with named parameters (dates, a recorder's name)."""
    db, _ = reporting
    with sqlite3.connect(db) as conn:
        params = {"date": "2004-02-01", "as_of": "2004-02-01", "before": "2004-12-31", "name": "clerk"}
        params |= {"known_at": "2026-01-01", "from": "2003-01-01", "to": "2004-12-31"}
        assert conn.execute(QUERIES[name]["sql"], params).fetchall() is not None


def test_pending_claims_query_shows_the_reserve_of_state_json(reporting: tuple[Path, OneAgreement]) -> None:
    """8.1(c): on 2004-02-01 claim C2 ($30,000) is pending and reserves escrow shares; the
    canned query shows the same reserve as `state --json`."""
    db, book = reporting
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        found = [dict(r) for r in conn.execute(QUERIES["pending_claims_and_reserves"]["sql"], {"date": "2004-02-01"})]
    state = book.json("2004-02-01")
    assert [r["claim_id"] for r in found] == [c["claim_id"] for c in state["claims"] if c["status"] == "pending"]
    assert found[0]["escrow_reserved_shares"] == state["escrow"]["reserved_shares"] > 0


def test_upcoming_obligations_query_lists_open_items_due_before_a_date(reporting: tuple[Path, OneAgreement]) -> None:
    """Seen on 2005-01-01, the 7.3 cut-off (2005-04-10) is upcoming before 2005-06-01 and the end
    of the Restricted Period (5.1, 2005-12-06) is not; seen on 2005-04-10 the cut-off is done."""
    db, _ = reporting
    sql = QUERIES["upcoming_obligations"]["sql"]
    with sqlite3.connect(db) as conn:
        soon = conn.execute(sql, {"as_of": "2005-01-01", "before": "2005-06-01"}).fetchall()
        later = conn.execute(sql, {"as_of": "2005-04-10", "before": "2005-06-01"}).fetchall()
    assert [(r[1], r[2], r[3]) for r in soon] == [("2005-04-10", "upcoming", "7.3")]
    assert later == []


@pytest.mark.skipif(importlib.util.find_spec("datasette") is None, reason="datasette not installed (extra [dashboard])")
def test_datasette_serves_the_canned_queries_in_process(reporting: tuple[Path, OneAgreement]) -> None:
    """Datasette's in-process client: titles from the metadata and a canned query as JSON."""
    from datasette.app import Datasette

    db, book = reporting
    ds = Datasette([str(db)], metadata=metadata(db.stem))

    async def fetch() -> tuple[int, list[dict[str, object]], str]:
        answer = await ds.client.get(f"/{db.stem}/state_as_of.json?date=2003-12-31&_shape=array")
        page = await ds.client.get(f"/{db.stem}/obligations")
        return answer.status_code, answer.json(), page.text

    status, data, page = asyncio.run(fetch())
    assert status == 200
    assert data[0]["released_shares"] == book.json("2003-12-31")["earnout"]["released_shares"]
    assert "Obligations calendar" in page


def test_serve_without_a_read_model_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`serve --db` a missing file: one line naming `apa-ledger export`, exit 2."""
    result = run_cli(capsys, "serve", "--db", str(tmp_path / "missing.sqlite"))
    assert result.code == 2 and "apa-ledger export" in result.err and result.err.count("\n") == 1


@pytest.mark.parametrize("layout", [None, SCHEMA_VERSION - 1, SCHEMA_VERSION + 1])
def test_serve_refuses_a_file_that_is_not_a_read_model_of_this_layout(
    reporting: tuple[Path, OneAgreement], tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: int | None
) -> None:
    """`serve --db` a file of another layout (an older version's export, whose columns today's
    canned queries and notes do not match) or no read model at all: one line saying how to
    rebuild it with `apa-ledger export`, exit 2, and the file is left as it was."""
    db = tmp_path / "old.sqlite"
    if layout is None:
        db.write_bytes(b"not a database")
    else:
        db.write_bytes(reporting[0].read_bytes())
        with closing(sqlite3.connect(db)) as conn:
            conn.execute(f"PRAGMA user_version = {layout}")
    before = db.read_bytes()
    result = run_cli(capsys, "serve", "--db", str(db))
    assert result.code == 2 and result.err.count("\n") == 1, result
    assert f"apa-ledger export --out {db}" in result.err, result
    assert ("not a read model" if layout is None else f"layout {layout}") in result.err, result
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", ["calendar", "export", "serve", "report"])
def test_reporting_commands_have_help_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """House style: every command's --help has an Example block."""
    result = run_cli(capsys, command, "--help")
    assert result.code == 0 and "Example:" in result.out and "apa-ledger " + command in result.out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, host: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


@pytest.mark.skipif(importlib.util.find_spec("datasette") is None, reason="datasette not installed (extra [dashboard])")
def test_serve_listens_on_loopback_says_where_in_one_line_and_refuses_a_forged_host(
    reporting: tuple[Path, OneAgreement], tmp_path: Path
) -> None:
    """Issue 18 (DNS rebinding): `serve` binds 127.0.0.1, says in one line where it listens,
    answers a request naming 127.0.0.1 or localhost, refuses one whose Host names another site
    (400), hides the tracking table and writes no temporary file."""
    db, _ = reporting
    port = _free_port()
    scratch = tmp_path / "tmp"  # the server's temporary directory
    scratch.mkdir()
    process = subprocess.Popen(
        [APA_LEDGER, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"serving {db} at http://127.0.0.1:{port}/ for Host ")
        for _ in range(100):  # until it accepts connections
            try:
                status, page = _get(port, f"/{db.stem}.json", f"127.0.0.1:{port}")
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        assert status == 200 and '"state_timeline"' in page
        tables = json.loads(page)["tables"]
        assert [t["hidden"] for t in tables if t["name"] == "tracking"] == [True]
        assert _get(port, f"/{db.stem}/claims.json", f"localhost:{port}")[0] == 200
        status, page = _get(port, f"/{db.stem}/claims.json", f"rebound.example:{port}")
        assert status == 400 and "claims" not in page
        assert _get(port, "/", "127.0.0.1.rebound.example")[0] == 400
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.stdout.read() == ""  # one line only
    assert list(scratch.iterdir()) == []
