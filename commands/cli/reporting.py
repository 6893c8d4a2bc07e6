"""CLI commands for the reporting area, registered on the `apa-ledger` group by `register`:
`calendar`, `export`, `serve` and `report`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from commands.cli.options import fail, ledger_from, parse_as_of, workers_option
from commands.cli.output import chosen, emit, format_option, say_done, write_out
from domain.errors import InvalidInput


def _day_option(value: str | None, name: str) -> object:
    if value is None:
        return None
    try:
        return parse_as_of(value)
    except InvalidInput:
        raise InvalidInput(f"{name}: {value[:40]!r} is not a date (YYYY-MM-DD)", "CLI") from None


PLAINTEXT_HELP = "From an encrypted store: write it anyway (what it writes is plaintext)."


def plaintext_option(what: str = PLAINTEXT_HELP) -> Callable[[Any], Any]:
    """``--plaintext``: an output of an encrypted store is written only when asked for
    (``commands.reporting.plaintext``)."""
    return click.option("--plaintext", is_flag=True, help=what)


@contextmanager
def progress_bar(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for long runs, only when stderr is a terminal."""
    if length < 200 or not sys.stderr.isatty():
        yield lambda n: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@click.command()
@click.argument("agreement_ids", metavar="[AGREEMENT_ID]...", nargs=-1)
@click.option("--as-of", metavar="DATE", help="Statuses as of this date (default today).")
@click.option("--from", "from_", metavar="DATE", help="Only obligations due on or after this date.")
@click.option("--to", metavar="DATE", help="Only obligations due on or before this date.")
@click.option("--out", metavar="FILE.ics|-", help="Also write an iCalendar file people can import (-: stdout).")
@click.option("--ics", "ics_alias", hidden=True, help="The old name of --out.")
@click.option(
    "--remind",
    type=click.IntRange(0, 366),
    multiple=True,
    metavar="DAYS",
    help="A reminder this many days before each open obligation in the .ics file (repeat for more; default 7 and 1).",
)
@plaintext_option("From an encrypted store: write the .ics file anyway (it is plaintext).")
@format_option("The obligations as JSON.")
@click.pass_context
def calendar(
    ctx: click.Context,
    agreement_ids: tuple[str, ...],
    as_of: str | None,
    from_: str | None,
    to: str | None,
    out: str | None,
    ics_alias: str | None,
    remind: tuple[int, ...],
    plaintext: bool,
    output: str | None,
    as_json: bool,
) -> None:
    """The obligations calendar: every dated duty and right, with its status as of a date,
    for the agreements named (default: every agreement in the store).

    Closing deadline and termination right (7.1), each earnout installment, the BP
    settlement and the cancellation (1.5(b)-(c)), survival cut-offs (7.3), 4.7 and
    8.3(b) reimbursements, 8.6 withheld payments, the Restricted Period (5.1) and
    the redemption lock (5.6). Status is upcoming, due (on the date), overdue or done.
    In the .ics file a changed deadline carries a higher SEQUENCE, so a calendar that
    imported the file before updates its copy.

    \b
    Example:
      apa-ledger calendar APA-2002 --as-of 2004-03-15
      apa-ledger calendar APA-2002 --from 2004-01-01 --to 2004-12-31 --out apa-2004.ics
      apa-ledger calendar APA-2002 --format csv > obligations.csv
      apa-ledger calendar --out portfolio.ics --remind 14 --remind 2
    """
    day = parse_as_of(as_of)
    low, high = _day_option(from_, "--from"), _day_option(to, "--to")
    ledger = ledger_from(ctx)
    ics = out or ics_alias
    if ics and not plaintext:
        ledger.refuse_plaintext(f"the calendar {'on stdout' if ics == '-' else ics}")
    ids = list(agreement_ids) or ledger.agreement_ids()
    lists = {agreement_id: ledger.calendar(agreement_id, day, low, high) for agreement_id in ids}
    output = chosen(output, as_json)

    def table() -> str:
        lines = [] if ids else ["No agreement in this store."]
        for agreement_id, items in lists.items():
            lines.append(f"Obligations of {agreement_id} as of {day} ({len(items)}):")
            lines += [f"  {o.due_on}  {o.status:<8}  {o.clause:<10}  {o.description}" for o in items]
        return "\n".join(lines)

    def rows() -> list[dict[str, object]]:
        if len(agreement_ids) == 1:  # one agreement named: its rows as they always were
            return [o.model_dump(mode="json") for o in lists[agreement_ids[0]]]
        return [{"agreement_id": a, **o.model_dump(mode="json")} for a, items in lists.items() for o in items]

    if ics != "-":  # the calendar itself on stdout is all stdout shows
        emit(output, table, rows)
    if ics:
        text, count = ledger.calendar_ics(ids, day, low, high, remind or None)
        where = write_out(ics, text.encode("utf-8"), "--out")
        say_done(f"wrote {count} event{'' if count == 1 else 's'} to {where}", ics)


@click.command()
@click.option("--out", metavar="FILE", help="The read model file.  [default: reporting.sqlite]")
@click.option("--to", "to_alias", hidden=True, metavar="FILE", help="The old name of --out.")
@click.option("--rebuild", is_flag=True, help="Start from scratch instead of applying only the new events.")
@workers_option("Processes that work the rows out (0: this one).", "every core for 20,000 new events or more")
@plaintext_option("From an encrypted store: write the read model anyway (it is plaintext; serve asks again).")
@click.option("--follow", is_flag=True, help="Then keep exporting new events as they are appended, until interrupted.")
@click.option(
    "--interval",
    type=click.FloatRange(0.05, 3600),
    default=0.2,
    show_default=True,
    metavar="SECONDS",
    help="With --follow: how often a SQLite store is looked at (PostgreSQL wakes on NOTIFY; this bounds the wait).",
)
@click.pass_context
def export(
    ctx: click.Context,
    out: str | None,
    to_alias: str | None,
    rebuild: bool,
    workers: int | None,
    plaintext: bool,
    follow: bool,
    interval: float,
) -> None:
    """Write the reporting read model (SQLite tables for dashboards); run again to add new events.

    Tables: agreements, events, recordings, state_timeline, earnout_schedule, escrow_movements,
    claims, survival, obligations (--out -: a whole new read model on stdout).
    Date-dependent tables have valid_from/valid_to:
    as of :d is `WHERE valid_from <= :d AND (:d < valid_to OR valid_to IS NULL)`;
    each row version has recorded_from/recorded_to (UTC): as known now is
    `recorded_to IS NULL`, as known at :t `recorded_from <= :t AND (:t < recorded_to OR recorded_to IS NULL)`.
    The position is kept in the file's eventsourcing `tracking` table.

    \b
    Example:
      apa-ledger export --out reporting.sqlite
      apa-ledger export --out reporting.sqlite --rebuild --workers 4
      apa-ledger export --out reporting.sqlite --follow   # until Ctrl-C
      sqlite3 reporting.sqlite "SELECT released_shares FROM state_timeline WHERE recorded_to IS NULL
        AND valid_from <= '2003-12-31' AND ('2003-12-31' < valid_to OR valid_to IS NULL)"
    """
    import tempfile

    target = out or to_alias or "reporting.sqlite"
    if not plaintext:  # before anything is written, the lock file beside the model too
        ledger_from(ctx).refuse_plaintext(f"the read model {'on stdout' if target == '-' else target}")
    if target == "-":  # a whole new read model, built beside and then written to stdout
        if follow:
            fail("--follow keeps a read model file current; give it --out FILE, not -")
        with tempfile.TemporaryDirectory() as scratch:
            _export(ctx, str(Path(scratch) / "reporting.sqlite"), True, workers, "-")
        return
    if not follow:
        _export(ctx, target, rebuild, workers, target)
        return
    from commands.reporting.follow import Interrupted, stopped_by_signals

    # One store for the whole run: opening it again in this process would read its header with
    # a plain open() and close(), which drops every POSIX lock the process holds on the file, so
    # that a writer's last close deletes the WAL that this process still reads (a stale head).
    ledger = ledger_from(ctx)
    with stopped_by_signals():
        try:
            _export(ctx, target, rebuild, workers, target, ledger)
            _follow(ledger, target, interval, workers)
        except Interrupted as stop:
            position = _position(ledger, target)
            click.echo(
                f"stopped following on {stop.name}: {target} is whole at position {position}; run again to resume"
            )


def _follow(ledger: Any, to: str, interval: float, workers: int | None) -> None:
    from commands.reporting.follow import follow

    def exported(result: Any) -> None:
        click.echo(
            f"exported {result.notifications} new events ({result.agreements} agreement"
            f"{'' if result.agreements == 1 else 's'} recomputed) to {to}, position {result.position}"
        )

    click.echo(f"following: new events are exported to {to} as they are appended (Ctrl-C to stop)", err=True)
    store = ledger.store
    waiting = lambda: click.echo(f"waiting for another export of {to} to finish ...", err=True)  # noqa: E731
    follow(store, to, exported, interval=interval, workers=workers, waiting=waiting)


def _position(ledger: Any, to: str) -> int:
    """The position the read model at ``to`` has committed (0 if there is none yet)."""
    from commands.reporting.export import open_view

    if not Path(to).exists():
        return 0
    view = open_view(to)
    try:
        return view.max_tracking_id(ledger.store.name) or 0
    finally:
        view.datastore.close()


def _export(ctx: click.Context, to: str, rebuild: bool, workers: int | None, shown: str, ledger: Any = None) -> None:
    from commands.reporting.export import pending_notifications

    ledger = ledger or ledger_from(ctx)
    store = ledger.store
    length = store.recorder.max_notification_id() or 0 if rebuild else pending_notifications(store, to)
    with progress_bar(length, "exporting") as advance:
        result = ledger.export(
            to,
            rebuild=rebuild,
            progress=advance,
            workers=workers,
            waiting=lambda: click.echo(f"waiting for another export of {to} to finish ...", err=True),
            plaintext=True,  # asked for, or the store is not encrypted (export)
        )
    if shown == "-":
        write_out("-", Path(to).read_bytes(), "--out")
    say_done(
        f"exported {result.notifications} new events ({result.agreements} agreement"
        f"{'' if result.agreements == 1 else 's'} recomputed) to {'stdout' if shown == '-' else to}, "
        f"position {result.position}",
        shown,
    )


@click.command()
@click.option("--db", default="reporting.sqlite", show_default=True, metavar="FILE", help="An exported read model.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--allow-host", "allow", multiple=True, metavar="NAME", help="Another Host name to answer to (repeatable)."
)
@plaintext_option("Serve a read model exported from an encrypted store anyway (over plain HTTP).")
def serve(db: str, port: int, host: str, allow: tuple[str, ...], plaintext: bool) -> None:
    """Browse the read model in Datasette, with titles, clause notes and canned queries.

    Listens on 127.0.0.1 unless told otherwise and answers only requests whose Host header
    names that address (or localhost, or an --allow-host name). Needs the optional extra:
    pip install 'apa-ledger[dashboard]'. Works offline.

    \b
    Example:
      apa-ledger export --out reporting.sqlite && apa-ledger serve --db reporting.sqlite
    """
    import importlib.util

    if not Path(db).exists():
        fail(f"--db: no read model at {db} (run `apa-ledger export --out {db}` first)")
    from commands.reporting.export import SCHEMA_VERSION, schema_version

    # Datasette would serve an older layout's tables under today's canned queries and column
    # notes, which name columns it lacks: wrong or failing answers with no warning.
    layout = schema_version(Path(db))
    if layout is None:
        fail(f"--db: {db} is not a read model (run `apa-ledger export --out {db}` to write one)")
    if layout != SCHEMA_VERSION:
        fail(
            f"--db: {db} is a read model of layout {layout} and this version reads layout {SCHEMA_VERSION} "
            f"(run `apa-ledger export --out {db}` to rebuild it)"
        )
    from commands.reporting.plaintext import from_encrypted_store

    if not plaintext and from_encrypted_store(db):
        fail(
            f"the read model {db} was exported from an encrypted store and serve would show its figures "
            "in plaintext over HTTP; add --plaintext to serve it anyway"
        )
    if importlib.util.find_spec("datasette") is None:
        fail("datasette is not installed: pip install 'apa-ledger[dashboard]'")
    import uvicorn

    from commands.reporting.serve import allowed_names, reporting_app

    names = allowed_names(host, allow)
    app = reporting_app(db, names)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {db} at http://{shown}:{port}/ for Host {', '.join(sorted(names))} (Ctrl-C to stop)")
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command()
@click.argument("agreement_id")
@click.option("--as-of", metavar="DATE", help="The date of the figures (default today).")
@click.option(
    "--out", default="report.html", show_default=True, metavar="FILE|-", help="Where the page goes (-: stdout)."
)
@plaintext_option("From an encrypted store: write the page anyway (it is plaintext).")
@click.pass_context
def report(ctx: click.Context, agreement_id: str, as_of: str | None, out: str, plaintext: bool) -> None:
    """Write a one-file HTML dashboard (works offline): headline figures, charts, obligations.

    \b
    Example:
      apa-ledger report APA-2002 --as-of 2004-06-30 --out report.html
    """
    day = parse_as_of(as_of)
    ledger = ledger_from(ctx)
    if not plaintext:
        ledger.refuse_plaintext(f"the page {'on stdout' if out == '-' else out}")
    with progress_bar(len(ledger.events(agreement_id)), "reporting") as advance:
        page = ledger.report(agreement_id, day, progress=advance)
    data = page.encode("utf-8")
    where = write_out(out, data, "--out")
    say_done(f"wrote {where} ({len(data) // 1024} KiB) for {agreement_id} as of {day}", out)


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""
    for command in (calendar, export, serve, report):
        cli.add_command(command)
