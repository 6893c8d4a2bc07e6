"""`apa-ledger report`: one self-contained HTML page, checked as text and in headless Chromium."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from commands.demo import demo_history
from commands.reporting.report import render_report
from tests.clirun import run_cli
from tests.ledger import OneAgreement, new_ledger

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
AS_OF = "2004-06-30"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OneAgreement]:
    """The demo history's report as of 2004-06-30, written by the CLI."""
    path = tmp_path_factory.mktemp("report")
    book = new_ledger(path / "store.sqlite")
    book.apply(*demo_history())
    out = path / "report.html"
    out.write_text(render_report("APA", book.events(), date.fromisoformat(AS_OF)), encoding="utf-8")
    return out, book


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z_]+)" data-value="([^"]*)"', html))


def test_page_shows_the_figures_of_state_json(page: tuple[Path, OneAgreement]) -> None:
    """The headline cards carry the `state --json` values: released, cancelled and pending
    Earnout Shares (1.5(b)-(c)), escrow balance and reserve (8.1(c)), payable and cash (8.1(b)-(c))."""
    path, book = page
    state = book.json(AS_OF)
    shown = figures(path.read_text())
    assert shown == {
        "released_shares": str(state["earnout"]["released_shares"]),
        "cancelled_shares": str(state["earnout"]["cancelled_shares"]),
        "pending_shares": str(state["earnout"]["pending_shares"]),
        "balance_shares": str(state["escrow"]["balance_shares"]),
        "reserved_shares": str(state["escrow"]["reserved_shares"]),
        "buyer_payable": state["indemnity"]["buyer"]["payable"],
        "buyer_cash_due": state["indemnity"]["buyer"]["cash_due"],
        "withheld_outstanding": state["offset"]["withheld_outstanding"],
    }
    text = unescape(path.read_text())
    assert "71,293" in text and "20,750" in text and "BP Event (a) 2003-09-15" in text


def test_page_is_self_contained(page: tuple[Path, OneAgreement]) -> None:
    """Works offline: no scripts, no external stylesheets, fonts, images or links."""
    html = page[0].read_text()
    for needle in ("<script", "src=", "<link", "@import", "url(", "http://", "https://", "//cdn"):
        assert needle not in html, needle
    assert html.count("<svg") == 3  # earnout, escrow, survival


def test_every_obligation_of_the_day_is_in_the_table(page: tuple[Path, OneAgreement]) -> None:
    """The obligations table lists each obligation of `state --json` with its status."""
    path, book = page
    text = unescape(path.read_text())
    for o in book.json(AS_OF)["obligations"]:
        assert f'<td>{o["due_on"]}</td><td><span class="badge {o["status"]}">' in text
        assert o["description"] in text


def test_report_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`report AGREEMENT --as-of DATE --out FILE` writes one file and says so; quiet otherwise."""
    book = new_ledger(tmp_path / "s.sqlite")
    book.apply(*demo_history()[:12])
    out = tmp_path / "r.html"
    result = run_cli(capsys, "--store", str(book.path), "report", "APA", "--as-of", "2003-12-31", "--out", str(out))
    assert result.code == 0 and result.err == ""
    assert out.exists() and f"wrote {out}" in result.out


def _chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={user_dir}", "--enable-logging=stderr", "--v=0", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_loads_in_headless_chromium_without_console_errors(
    page: tuple[Path, OneAgreement], tmp_path: Path
) -> None:
    """Real browser: the DOM after load holds the figures of `state --json`, the console
    reports no errors, and a screenshot is kept under artifacts/ for people to look at."""
    path, book = page
    dom = _chromium("--dump-dom", path.as_uri(), user_dir=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    state = book.json(AS_OF)
    shown = figures(dom.stdout)
    assert shown["released_shares"] == str(state["earnout"]["released_shares"])
    assert shown["balance_shares"] == str(state["escrow"]["balance_shares"])
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    taken = _chromium(
        f"--screenshot={shot}", "--window-size=1280,2400", path.as_uri(), user_dir=tmp_path / "profile-shot"
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_on_a_terminal_and_stays_quiet_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long runs show a progress bar on stderr only when stderr is a terminal."""
    from commands.cli.reporting import progress_bar

    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress_bar(5000, "exporting") as advance:
        advance(5000)
    assert quiet.getvalue() == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar(5000, "exporting") as advance:
        advance(5000)
    assert "exporting" in terminal.getvalue() and "100%" in terminal.getvalue()
