"""`apa-ledger report`: one self-contained HTML page, checked as text and in headless Chromium."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

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
    assert "71,293" in text and "23,500" in text and "BP Event (a) 2003-09-15" in text


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
        assert (
            f'<td data-label="Due">{o["due_on"]}</td><td data-label="Status"><span class="badge {o["status"]}">' in text
        )
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


FRAME = """<!doctype html><html><body style="margin:0">
<iframe id="page" src="report.html" style="display:block;border:0;width:{width}px;height:{height}px"></iframe>
<script>
addEventListener("load", () => {{
  const view = document.getElementById("page").contentWindow, doc = view.document;
  const wide = [...doc.querySelectorAll("body *")].filter((e) => {{
    const box = e.getBoundingClientRect();
    const inBox = e.closest(".chart-wrap") && !e.classList.contains("chart-wrap");
    return !inBox && box.width > 0 && (box.right > view.innerWidth + 0.5 || box.left < -0.5);
  }});
  document.body.dataset.probe = JSON.stringify({{
    scrollWidth: doc.documentElement.scrollWidth, innerWidth: view.innerWidth,
    wide: wide.slice(0, 5).map((e) => e.tagName + "." + e.className),
  }});
}});
</script></body></html>"""
"""The page in a frame of exactly ``width`` px (headless Chromium's window is never narrower
than 500 px; the frame's viewport is what its media queries see), and a script in the frame
page that measures it once laid out and names the first elements sticking out of the
viewport, outside the charts' scrolling boxes. The report itself has no script."""


def _framed(path: Path, width: int, height: int, tmp_path: Path) -> Path:
    where = tmp_path / f"frame-{width}"
    where.mkdir(exist_ok=True)
    (where / "report.html").write_text(path.read_text(), encoding="utf-8")
    frame = where / "frame.html"
    frame.write_text(FRAME.format(width=width, height=height), encoding="utf-8")
    return frame


def _measured(path: Path, width: int, tmp_path: Path) -> dict[str, Any]:
    frame = _framed(path, width, 900, tmp_path)
    dom = _chromium(
        "--dump-dom", "--allow-file-access-from-files", f"--window-size={max(width, 500)},900", frame.as_uri(),
        user_dir=tmp_path / f"profile-{width}",
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert found, dom.stdout[-1000:]
    return dict(json.loads(unescape(found.group(1))))


def _screenshot(path: Path, width: int, tmp_path: Path) -> Path:
    """artifacts/report-WIDTH.png: the top 2,600 px of the page at that width."""
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{width}.png"
    shot.unlink(missing_ok=True)
    frame = _framed(path, width, 2600, tmp_path)
    taken = _chromium(
        f"--screenshot={shot}", f"--window-size={width},2600", "--hide-scrollbars", frame.as_uri(),
        user_dir=tmp_path / f"profile-shot-{width}",
    )  # fmt: skip
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    return shot


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_loads_in_headless_chromium_without_console_errors(
    page: tuple[Path, OneAgreement], tmp_path: Path
) -> None:
    """Real browser: the DOM after load holds the figures of `state --json` and the console
    reports no errors."""
    path, book = page
    dom = _chromium("--dump-dom", path.as_uri(), user_dir=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    state = book.json(AS_OF)
    shown = figures(dom.stdout)
    assert shown["released_shares"] == str(state["earnout"]["released_shares"])
    assert shown["balance_shares"] == str(state["escrow"]["balance_shares"])
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [390, 1400])
def test_page_is_never_wider_than_the_screen_on_a_phone_or_a_desktop(
    page: tuple[Path, OneAgreement], tmp_path: Path, width: int
) -> None:
    """At 390 px (a phone) and 1400 px the page's scrollWidth is at most innerWidth (no
    sideways scrolling: only the charts' own boxes scroll), and a screenshot of each width is
    kept under artifacts/ for people to look at."""
    path, _ = page
    measured = _measured(path, width, tmp_path)
    assert measured["innerWidth"] == width
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert measured["wide"] == []
    _screenshot(path, width, tmp_path)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_prints_to_pdf_with_headings_kept_with_what_follows(
    page: tuple[Path, OneAgreement], tmp_path: Path
) -> None:
    """On paper: the print stylesheet forbids a page break after a heading and inside a card,
    a chart or a table row, and repeats table headers; Chromium prints the page to a PDF of
    several pages (kept as artifacts/report.pdf)."""
    path, _ = page
    html = path.read_text()
    printed = html[html.index("@media print") :]
    assert "h1, h2, .eyebrow { break-after: avoid;" in printed and "h2 + * { break-before: avoid;" in printed
    assert "thead { display: table-header-group; }" in printed
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "report.pdf"
    pdf.unlink(missing_ok=True)
    done = _chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri(), user_dir=tmp_path / "pdf")
    assert done.returncode == 0, done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page(?!s)", data)) >= 2


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


OTHER_TERMS = {
    "title": "Share Purchase Agreement",
    "agreement_date": "2002-11-15",
    "buyer": "Acme Holdings Ltd.",
    "sellers": "Widget Works LLC and Widget Parts Inc.",
    "liquidation_value": "8.00",
    "earnout_agent": "Widget Escrow LLP",
}
THIS_AGREEMENT = ("Buyers United", "I-Link", "December 6, 2002", "$10.00", "CRS")


def test_another_agreements_terms_name_it_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Preamble: the outputs name the agreement from its terms, never this one's: a store made
    with `new --terms` for another agreement shows that agreement's title, date and Parties in
    the report, the calendar and the Datasette metadata, and nothing of the December 6, 2002
    APA (its Parties, its date, its $10 liquidation value, 3.2, CRS who delivers, 1.5(b))."""
    from commands.reporting.datasette_metadata import metadata, model_terms

    store, terms = str(tmp_path / "other.sqlite"), tmp_path / "terms.json"
    terms.write_text(json.dumps(OTHER_TERMS))
    assert run_cli(capsys, "--store", store, "new", "SPA-1", "--terms", str(terms)).code == 0
    facts = tmp_path / "facts.jsonl"
    facts.write_text(
        '{"type": "EffectiveDateReached", "occurred_on": "2002-11-15"}\n'
        '{"type": "EscrowDeposited", "occurred_on": "2002-11-15", "shares": 25000}\n'
        '{"type": "ClosingOccurred", "occurred_on": "2003-01-10"}\n'
    )
    assert run_cli(capsys, "--store", store, "apply", "SPA-1", str(facts)).code == 0
    page, ics, model = tmp_path / "r.html", tmp_path / "c.ics", tmp_path / "m.sqlite"
    for args in (
        ("report", "SPA-1", "--as-of", "2003-01-31", "--out", str(page)),
        ("calendar", "SPA-1", "--as-of", "2003-01-31", "--out", str(ics)),
        ("export", "--out", str(model)),
    ):
        run = run_cli(capsys, "--store", store, *args)
        assert run.code == 0, run.err
    described = metadata(model.stem, model_terms(model))["description"]
    shown = {
        "report": unescape(page.read_text()),
        "calendar": ics.read_text().replace("\r\n ", "").replace("\\,", ","),
        "datasette": described,
    }
    for output, text in shown.items():
        assert "Share Purchase Agreement of November 15, 2002" in text, output
        assert [name for name in THIS_AGREEMENT if name in text] == [], output
    for output in ("report", "datasette"):
        assert "Acme Holdings Ltd. (Buyer); Widget Works LLC and Widget Parts Inc. (Sellers)" in shown[output]
    assert "Value at $8.00 liquidation value" in shown["report"]
    assert "delivered by Widget Escrow LLP" in shown["report"]  # 1.5(b): who delivers, from the terms
    assert "Widget Escrow LLP delivers" in shown["calendar"]
    assert described == (
        "Read model of the Share Purchase Agreement of November 15, 2002 among Acme Holdings Ltd. (Buyer); "
        "Widget Works LLC and Widget Parts Inc. (Sellers)."
    )


def test_the_default_terms_name_this_agreement(page: tuple[Path, OneAgreement]) -> None:
    """Preamble: on the default terms the page names the Asset Purchase Agreement of December
    6, 2002 among Buyers United Inc. (Buyer) and I-Link Communications Inc. and I-Link
    Incorporated (the Sellers), which the stored terms leave out (they hold the defaults)."""
    text = unescape(page[0].read_text())
    assert (
        "Asset Purchase Agreement of December 6, 2002 · Buyers United Inc. (Buyer); "
        "I-Link Communications Inc. and I-Link Incorporated (Sellers)"
    ) in text
    assert '"title"' not in page[1].events()[0].model_dump_json()
