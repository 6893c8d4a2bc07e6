"""The PostgreSQL store: URL and PG* settings, one-line errors without the password, same ledger as SQLite."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from pathlib import Path

import pytest

from benchmarks.portfolio import history
from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from commands.store.application import open_store
from commands.store.postgres import connect_direct, describe_postgres, postgres_env, redact
from tests.clirun import one_clear_line, run_cli
from tests.ledger import closed, new_ledger, to_jsonl
from tests.postgres import fresh_schema, require_postgres, url_for

SECRET = "Sup3r-Secret-pw"
PG_VARS = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


@pytest.fixture
def no_pg_vars(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PG_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_url_maps_to_the_librarys_postgres_settings(no_pg_vars: pytest.MonkeyPatch) -> None:
    """Store selection: user, password (URL-decoded), host, port, database and ?schema= map to POSTGRES_*."""
    env = postgres_env(f"postgresql://alice:{SECRET}%40x@db.example:6543/ledger?schema=apa_2002")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("alice", f"{SECRET}@x")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == ("db.example", "6543", "ledger")
    assert env["POSTGRES_SCHEMA"] == "apa_2002"
    assert "POSTGRES_SCHEMA" not in postgres_env("postgresql://alice@db.example/ledger")


def test_pg_variables_fill_what_the_url_leaves_out(no_pg_vars: pytest.MonkeyPatch) -> None:
    """Store selection: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE when the URL is bare."""
    for name, value in zip(PG_VARS, ("pg.internal", "6000", "bob", SECRET, "books"), strict=True):
        no_pg_vars.setenv(name, value)
    env = postgres_env("postgresql://")
    assert [env[k] for k in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER", "POSTGRES_PASSWORD")] == [
        "pg.internal",
        "6000",
        "bob",
        SECRET,
    ]
    assert env["POSTGRES_DBNAME"] == "books"
    assert postgres_env("postgresql://carol@h:7000/db")["POSTGRES_USER"] == "carol"  # the URL wins


def test_descriptions_and_messages_never_carry_the_password(no_pg_vars: pytest.MonkeyPatch) -> None:
    """Store errors: the location shown has no password; a message quoting it is redacted."""
    url = f"postgresql://alice:{SECRET}@db.example:6543/ledger"
    assert SECRET not in describe_postgres(url)
    no_pg_vars.setenv("PGPASSWORD", "env-Secret-2")
    assert redact(f"bad login {SECRET} / env-Secret-2\nsecond line", url) == "bad login *** / ***"


def test_unreachable_port_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str], no_pg_vars: pytest.MonkeyPatch
) -> None:
    """CLI: no server on the port -> exit 2, one line naming the store, neither URL nor PGPASSWORD secret."""
    no_pg_vars.setenv("PGPASSWORD", "env-Secret-2")
    for url in (f"postgresql://postgres:{SECRET}@127.0.0.1:1/test", "postgresql://postgres@127.0.0.1:1/test"):
        run = run_cli(capsys, "--store", url, "state", "APA", "--as-of", "2003-12-31")
        assert one_clear_line(run), run.err
        assert "127.0.0.1:1/test" in run.err and "refused" in run.err
        assert SECRET not in run.err + run.out and "env-Secret-2" not in run.err + run.out


@pytest.mark.postgres
def test_refused_login_is_one_line_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    """CLI: the server refuses the login -> exit 2, one line with the server's reason, no password."""
    require_postgres()
    from commands.store.postgres import postgres_env as env_of
    from tests.postgres import base_url

    env = env_of(base_url())
    url = f"postgresql://no_such_role_apa:{SECRET}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/test"
    run = run_cli(capsys, "--store", url, "agreements")
    assert one_clear_line(run), run.err
    assert "no_such_role_apa" in run.err and SECRET not in run.err


@pytest.mark.postgres
def test_schema_in_the_url_keeps_ledgers_apart(capsys: pytest.CaptureFixture[str]) -> None:
    """Store selection: ?schema= is the library's POSTGRES_SCHEMA; two schemas are two ledgers."""
    with fresh_schema() as first, fresh_schema() as second:
        ledger = new_ledger(Path("unused"), url=first)
        other = open_store(second)
        assert other.agreement_ids() == [] and ledger.store.agreement_ids() == ["APA"]
        assert other.recorder.datastore.schema == postgres_env(second)["POSTGRES_SCHEMA"]
        ledger.store.close()
        other.close()
    run = run_cli(capsys, "--store", url_for("apa_test_never_made"), "state", "APA")
    assert one_clear_line(run) and "does not exist" in run.err


@pytest.mark.postgres
def test_a_portfolio_import_is_identical_on_postgres_and_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same facts, same clock -> the same events (hashes included), `state --json` and `history --json`
    (which on PostgreSQL also names the server's role that appended each event)."""
    with fresh_schema() as url:
        ledgers = [new_ledger(tmp_path / "ledger.sqlite"), new_ledger(tmp_path / "unused", url=url)]
        facts = history(3, claims=4)  # index 3: a history with a BP Event
        for ledger in ledgers:  # in two batches, as two import files
            apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(to_jsonl(*facts[:40])))
            apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(to_jsonl(*facts[40:])))
        sqlite_events, postgres_events = ([e.model_dump(mode="json") for e in ledger.events()] for ledger in ledgers)
        assert len(sqlite_events) > 60
        assert sqlite_events == postgres_events  # event by event: fields, both times, prev_hash, hash
        for day in ("2003-04-09", "2003-12-31", "2004-03-30", "2005-06-30"):
            assert ledgers[0].json(day) == ledgers[1].json(day)
        outputs = [run_cli(capsys, "--store", ledger.url, "history", "APA", "--json") for ledger in ledgers]
        on_sqlite, on_postgres = (json.loads(output.out) for output in outputs)
        assert outputs[0].code == 0 and {row.pop("db_user") for row in on_postgres} == {"postgres"}
        assert on_sqlite == on_postgres
        assert ledgers[0].state("2004-03-30").earnout.bp_event is not None
        for ledger in ledgers:
            ledger.store.close()


def _portfolio_files(tmp_path: Path, count: int) -> tuple[Path, list[str]]:
    """``count`` generated agreements (benchmarks/portfolio.py) as `import` reads them: the
    directory of AGREEMENT_ID.jsonl files, and the ids."""
    from benchmarks.portfolio import write_files

    directory = tmp_path / "portfolio"
    return directory, write_files(directory, count)


def test_the_import_command_writes_the_same_portfolio_on_postgres_and_sqlite(tmp_path: Path) -> None:
    """`apa-ledger import` of a generated portfolio (benchmarks/portfolio.py: margins, BP Events,
    claims, surrenders, releases, a retraction): same files, same clock -> every event of every
    agreement identical on both stores, hashes included."""
    from commands.portfolio.import_files import agreement_files, import_files
    from tests.ledger import Clock

    directory, ids = _portfolio_files(tmp_path, 4)
    with fresh_schema() as url:
        stores = [open_store(str(tmp_path / "portfolio.sqlite"), clock=Clock()), open_store(url, clock=Clock())]
        outcomes = [import_files(store, agreement_files([str(directory)]), workers=0) for store in stores]
        assert outcomes[0] == outcomes[1] and all(o.registered and not o.error for o in outcomes[0])
        dumps = [[e.model_dump(mode="json") for a in ids for e in store.load(a).events] for store in stores]
        assert len(dumps[0]) > 4 * 140 and dumps[0] == dumps[1]
        for store in stores:
            store.close()


def test_a_store_that_outgrew_sqlite_moves_to_postgres_with_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scale: `copy --plaintext --to postgresql://...` moves a SQLite portfolio to PostgreSQL
    unchanged - every event of every agreement with its position, both times, `prev_hash` and
    `hash` - and the copy verifies; `agreements` and `state --json` then read the same there."""
    from commands.portfolio.import_files import agreement_files, import_files
    from tests.ledger import Clock

    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    monkeypatch.delenv("APA_LEDGER_NEW_CIPHER_KEY", raising=False)
    directory, ids = _portfolio_files(tmp_path, 3)
    source = str(tmp_path / "outgrown.sqlite")
    store = open_store(source, clock=Clock())
    import_files(store, agreement_files([str(directory)]), workers=0)
    store.close()
    with fresh_schema() as url:
        run = run_cli(capsys, "--store", source, "copy", "--plaintext", "--to", url)
        assert run.code == 0, run.err
        assert "hash chains intact" in run.out and "NOT encrypted" in run.out
        stores = [open_store(source, create=False), open_store(url, create=False)]
        dumps = [[e.model_dump(mode="json") for a in ids for e in s.load(a).events] for s in stores]
        assert len(dumps[0]) > 3 * 140 and dumps[0] == dumps[1]
        for s in stores:
            s.close()
        listings = [
            run_cli(capsys, "--store", where, "agreements", "--as-of", "2004-06-30", "--json")
            for where in (source, url)
        ]
        assert listings[0].code == 0 and json.loads(listings[0].out) == json.loads(listings[1].out)
        states = [
            run_cli(capsys, "--store", where, "state", ids[1], "--as-of", "2004-03-30", "--json")
            for where in (source, url)
        ]
        assert states[0].code == 0 and states[0].out == states[1].out
        again = run_cli(capsys, "--store", source, "copy", "--plaintext", "--to", url)
        assert again.code == 2 and len(again.err.splitlines()) == 1  # the target is no longer empty


def _schema_of(url: str) -> str:
    return postgres_env(url)["POSTGRES_SCHEMA"]


def _insert_function_exists(url: str) -> bool:
    found = require_postgres().execute(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE proname = %s AND nspname = %s",
        (_function(), _schema_of(url)),
    )
    return bool(found.fetchone()[0])


def test_appends_go_through_the_stores_insert_function(tmp_path: Path) -> None:
    """Scale: a new store gets the one-statement insert function with the library's DDL, and an
    append uses it (and not the library's transaction): the events come back in order, hashes
    chained, one notification id each."""
    with fresh_schema() as url:
        ledger = new_ledger(tmp_path / "unused", url=url)
        assert _insert_function_exists(url)
        ledger.apply(*closed())
        recorder = ledger.store.recorder
        assert recorder.has_insert_function and recorder.insert_query is not None
        events = ledger.events()
        assert [e.position for e in events] == list(range(1, len(events) + 1))
        assert all(e.prev_hash == before.hash for before, e in itertools.pairwise(events))
        assert recorder.max_notification_id() == len(events)
        ledger.store.close()


def test_a_store_made_before_the_insert_function_gets_it_at_its_first_append(tmp_path: Path) -> None:
    """Scale, stores made by an earlier version: opening one runs no DDL; its first append
    creates the insert function and goes through it, with the same events."""
    with fresh_schema() as url:
        ledger = new_ledger(tmp_path / "unused", url=url)
        ledger.store.close()
        require_postgres().execute(f'DROP FUNCTION "{_schema_of(url)}"."{_function()}"')
        store = open_store(url, create=False)
        assert store.env.get("CREATE_TABLE") == "n" and not _insert_function_exists(url)
        outcome = apply_facts(store, "APA", parse_jsonl(to_jsonl(*closed())))
        assert outcome.appended and store.recorder.has_insert_function and _insert_function_exists(url)
        assert [e.position for e in store.load("APA").events] == list(range(1, len(outcome.appended) + 2))
        store.close()


def test_a_role_that_may_not_create_functions_appends_the_librarys_way(tmp_path: Path) -> None:
    """Scale, least privilege: a clerk's role with only the rights an append needs (USAGE on
    the schema; SELECT, INSERT and UPDATE - the lock's - on the events table; SELECT and INSERT
    on the store chain's seals; the id sequence) cannot create the function in a store made
    before it: its appends take the library's transaction, whole and in order, sealed, and
    nothing fails; the seals name the clerk's role, as the server knows it (17.4)."""
    from psycopg import sql

    admin = require_postgres()
    role = f"apa_clerk_{uuid.uuid4().hex[:12]}"
    with fresh_schema() as url:
        ledger = new_ledger(tmp_path / "unused", url=url)
        ledger.store.close()
        schema = sql.Identifier(_schema_of(url))
        admin.execute(sql.SQL("DROP FUNCTION {}.{}").format(schema, sql.Identifier(_function())))
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        try:
            for grant in (
                "GRANT USAGE ON SCHEMA {s} TO {r}",
                "GRANT SELECT, INSERT, UPDATE ON {s}.ledgerstore_events TO {r}",
                "GRANT SELECT, INSERT ON {s}.ledgerstore_events_seals TO {r}",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            ):
                admin.execute(sql.SQL(grant).format(s=schema, r=sql.Identifier(role)))
            clerk_url = url.replace("postgresql://postgres@", f"postgresql://{role}@")
            store = open_store(clerk_url, create=False)
            outcome = apply_facts(store, "APA", parse_jsonl(to_jsonl(*closed())))
            assert outcome.appended and not store.recorder.has_insert_function
            assert not _insert_function_exists(url)
            assert [e.position for e in store.load("APA").events] == list(range(1, len(outcome.appended) + 2))
            assert [s.db_user for s in store.recorder.select_seals()] == ["postgres", role]
            store.close()
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _function() -> str:
    from commands.store.postgres_recorder import insert_function_name

    return insert_function_name("ledgerstore_events")


def test_the_insert_function_holds_the_table_lock_until_it_commits(tmp_path: Path) -> None:
    """The library's ordering rule, kept by the function: an insert takes the table's EXCLUSIVE
    lock (readers of the notification log never pass over ids that commit later), so while
    another transaction holds ROW EXCLUSIVE - enough for a plain INSERT - the append waits,
    and it completes once that transaction ends."""
    with fresh_schema() as url:
        ledger = new_ledger(tmp_path / "unused", url=url)
        table = f'"{_schema_of(url)}".ledgerstore_events'
        done = threading.Event()
        with connect_direct(postgres_env(url)) as other:
            with other.transaction():
                other.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
                writer = threading.Thread(target=lambda: (ledger.apply(*closed()), done.set()))
                writer.start()
                assert not done.wait(0.5)  # waiting for the lock: nothing appended
                assert require_postgres().execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
            writer.join(10)
        assert done.is_set() and len(ledger.events()) > 1
        ledger.store.close()
