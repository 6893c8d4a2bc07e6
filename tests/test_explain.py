"""Every figure explains itself (issue 3.6): `explain AGREEMENT FIGURE` and `state --json --explain`.

Each explanation gives the formula with its numbers, the clause, a short quotation of
the agreement and the positions of the events the figure rests on.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from commands.cli.render import render_state
from projections.clause_text import QUOTES
from projections.diff import flatten
from projections.explain import explanations
from tests.clirun import one_clear_line, run_cli
from tests.histories import HISTORIES
from tests.ledger import OneAgreement, claim, closed, new_ledger, reference_bp, resolve

AGREEMENT_TEXT = Path("/work/shared/agreement/asset-purchase-agreement.txt")


@pytest.fixture
def reference(book: OneAgreement) -> OneAgreement:
    """Reference figures (docs/readings.md): BP Event (a) on 2003-09-15; buyer claims resolved at 15,000
    and 27,500 (4,250 shares surrendered); a third claim C3 pending at 10,000."""
    book.apply(
        *closed(),
        *reference_bp(),
        claim("C1", "2003-06-01", "15000"),
        resolve("C1", "2003-07-01", "15000"),
        claim("C2", "2004-01-15", "30000"),
        resolve("C2", "2004-02-01", "27500"),
        claim("C3", "2004-02-15", "10000", sections=["2.7"]),
    )
    return book


def explain(book: OneAgreement, figure: str, as_of: str = "2004-03-30"):
    return explanations(book.events(), date.fromisoformat(as_of))[1][figure]


def test_settlement_shares_show_m_with_the_numbers_filled_in(reference: OneAgreement) -> None:
    """1.5(b): M = floor(A x N / D) = floor(32143 x 430000.00 / 486051.46565661) = 28436,
    resting on the BP Event and every Gross Margin report it uses."""
    x = explain(reference, "earnout.bp_event.settlement_shares")
    assert x.formula == "M = floor(A × N / D) = floor(32143 × 430000.00 / 486051.46565661) = 28436"
    assert (x.value, x.clause) == (28436, "1.5(b) M")
    assert "M = A x N / D" in x.text
    margins = [e.position for e in reference.events() if e.type == "GrossMarginReported"]
    bp = next(e.position for e in reference.events() if e.type == "BPEventDeclared")
    assert set(margins) | {bp} <= set(x.positions)


def test_a_d_and_n_explain_themselves(reference: OneAgreement) -> None:
    """1.5(b) A, D, N: released by the governing date, the decaying assumed margins, the cap."""
    a = explain(reference, "earnout.bp_event.undelivered_shares")
    assert "75000 − floor(75000 × 8 / 14) = 75000 − 42857 = 32143" in a.formula
    d = explain(reference, "earnout.bp_event.assumed_margin_total")
    assert "b = min(GM 2003-01 100000.00, GM 2003-08 90000.00) = 90000.00" in d.formula
    assert "D = 486051.46565661" in d.formula and d.value == "486051.47"
    n = explain(reference, "earnout.bp_event.capped_margin")
    assert n.formula == "N = min(actual, D) = min(430000.00, 486051.46565661) = 430000.00"
    released = explain(reference, "earnout.released_shares")
    assert "floor(75000 × 8 / 14) = 42857, plus M = 28436 delivered 2004-03-30: 71293" in released.formula
    assert "3 at Closing 2003-04-10 (2003-01..2003-03)" in released.formula
    cancelled = explain(reference, "earnout.cancelled_shares")
    assert cancelled.formula.startswith("cancelled = A − M = 32143 − 28436 = 3707")
    assert explain(reference, "purchase_price.reduction").formula.endswith("3707 × 10.00 = 37070.00")


def test_escrow_reserve_shows_the_pending_claims_and_the_cap(reference: OneAgreement) -> None:
    """8.1(c), readings 5: C3 pending at 10,000 on top of 42,500 resolved reserves
    floor(52,500 / 10) - 4,250 = 1,000 shares."""
    x = explain(reference, "escrow.reserved_shares")
    assert "pending C3 10000.00" in x.formula
    assert "payable 52500.00, offset against the payments withheld for them 0.00 (8.6)" in x.formula
    assert "floor(min(52500.00 − 0.00, 250000.00) / 10.00) = 5250" in x.formula
    assert x.formula.endswith("min(20750, 5250 − 4250) = 1000") and x.value == 1000
    c3 = next(e.position for e in reference.events() if e.type == "ClaimAsserted" and e.claim_id == "C3")
    assert c3 in x.positions and x.clause == "8.1(c), readings 5"
    assert "$250,000" in x.text
    balance = explain(reference, "escrow.balance_shares")
    assert balance.formula == "balance = deposited − surrendered − released = 25000 − 4250 − 0 = 20750"


def test_cash_due_beyond_the_cap_explains_the_excess(book: OneAgreement) -> None:
    """8.1(c): a claim resolved at 260,000 surrenders all 25,000 shares; 52,500.00 in cash."""
    book.apply(*closed(), claim("C1", "2004-01-15", "260000"), resolve("C1", "2004-02-01", "260000"))
    x = explain(book, "indemnity.buyer.cash_due", "2004-02-01")
    assert x.formula.startswith(
        "cash due = payable − offset − satisfied in shares = 260000.00 − 0.00 − 250000.00 = 10000.00"
    )
    book.apply(claim("C2", "2004-02-15", "42500"), resolve("C2", "2004-03-01", "42500"))
    assert explain(book, "indemnity.buyer.cash_due", "2004-03-01").value == "52500.00"
    payable = explain(book, "indemnity.buyer.payable", "2004-03-01")
    assert "resolved 302500.00 > Allowance 25000.00" in payable.formula


def test_every_numeric_figure_of_the_money_areas_is_explained(reference: OneAgreement) -> None:
    """Coverage: earnout, bp_event, escrow, indemnity (both sides), purchase_price, and each
    survival row; each explanation's value is what `state --json` shows."""
    state, found = explanations(reference.events(), date(2004, 3, 30))
    flat = flatten(state.model_dump(mode="json"))
    areas = ("earnout.", "escrow.", "indemnity.", "purchase_price.")
    numeric = [
        k
        for k, v in flat.items()
        if k.startswith(areas)
        and ".schedule." not in k
        and (isinstance(v, int) or (isinstance(v, str) and re.fullmatch(r"-?\d+\.\d\d", v)))
    ]
    assert len(numeric) > 30
    assert [k for k in numeric if k not in found] == []
    assert all(found[k].value == flat[k] for k in numeric)
    assert [r.section for r in state.survival] == [
        k.removeprefix("survival.") for k in found if k.startswith("survival.")
    ]
    for x in found.values():
        assert x.formula and x.clause and x.text.startswith('"')


def test_survival_rows_and_claims_explain_whole_rows(reference: OneAgreement, capsys) -> None:
    """7.3: 2.7 runs two years from Closing; C3 cites it. A row's field falls back to the row."""
    store = str(reference.path)
    run = run_cli(capsys, "--store", store, "explain", "APA", "survival.2.7.status", "--as-of", "2005-06-01", "--json")
    x = json.loads(run.out)
    assert x["figure"] == "survival.2.7" and x["value"]["status"] == "extended"
    assert "Closing 2003-04-10 + 2 years = 2005-04-10; claim C3 asserted 2004-02-15, pending" in x["formula"]
    assert x["clause"] == "7.3(iv)"
    claim_text = run_cli(capsys, "--store", store, "explain", "APA", "claims.C2", "--as-of", "2004-03-30").out
    assert "finally resolved 2004-02-01 at 27500.00, 4250 escrow shares surrendered" in claim_text


def test_explain_as_known_at_an_earlier_moment(book: OneAgreement, capsys) -> None:
    """readings 9: the derivation as the ledger knew it - before the last margin
    was recorded M was not determinable."""
    book.clock.set("2026-02-01T00:00:00Z")
    book.apply(*closed(), *reference_bp()[:-1])
    book.clock.set("2026-03-01T00:00:00Z")
    book.apply(reference_bp()[-1])
    args = ("--store", str(book.path), "explain", "APA", "earnout.bp_event.settlement_shares", "--as-of", "2004-03-30")
    then = run_cli(capsys, *args, "--known-at", "2026-02-15T00:00:00+01:00")
    assert "M not yet determinable: Gross Margin not reported for 2004-02" in then.out
    assert "as known at 2026-02-14T23:00:00+00:00" in then.out
    now = run_cli(capsys, *args)
    assert "= 28436" in now.out and "clause:     1.5(b) M" in now.out


def test_suggestions_are_keys_that_explain_never_the_key_typed(reference: OneAgreement, capsys) -> None:
    """A figure of the state that has no explanation (or a typo) is refused; every key
    suggested has an explanation, and the key typed is never among them."""
    result, found = explanations(reference.events(), date(2004, 3, 30))
    flat = flatten(result.model_dump(mode="json"))
    silent = [key for key in flat if key not in found and key.rsplit(".", 1)[0] not in found]
    assert silent  # the state has such figures (e.g. a list's items), so the test can bite
    base = ("--store", str(reference.path), "explain", "APA")
    for figure in [*silent[:5], "escrow.reserved", "earnout.released"]:
        refused = run_cli(capsys, *base, figure, "--as-of", "2004-03-30")
        assert one_clear_line(refused)
        suggested = re.search(r"did you mean (.*)\? \(explain\)", refused.err)
        keys = suggested.group(1).split(", ") if suggested else []
        assert figure not in keys
        for key in keys:
            assert run_cli(capsys, *base, key, "--as-of", "2004-03-30").code == 0, key


def test_unknown_figure_exits_2_naming_close_matches(reference: OneAgreement, capsys) -> None:
    run = run_cli(capsys, "--store", str(reference.path), "explain", "APA", "escrow.reserved", "--as-of", "2004-03-30")
    assert one_clear_line(run) and "did you mean escrow.reserved_shares" in run.err
    no_bp = run_cli(
        capsys, "--store", str(reference.path), "explain", "APA", "earnout.bp_event.months", "--as-of", "2003-09-14"
    )
    assert one_clear_line(no_bp)


def test_state_json_explain_adds_explanations_by_dotted_key(reference: OneAgreement, capsys) -> None:
    run = run_cli(
        capsys, "--store", str(reference.path), "state", "APA", "--as-of", "2004-03-30", "--json", "--explain"
    )
    data = json.loads(run.out)
    x = data["explanations"]["earnout.bp_event.settlement_shares"]
    assert set(x) == {"formula", "clause", "text", "positions"}
    assert data["earnout"]["bp_event"]["settlement_shares"] == 28436
    plain = json.loads(
        run_cli(capsys, "--store", str(reference.path), "state", "APA", "--as-of", "2004-03-30", "--json").out
    )
    assert "explanations" not in plain and {k: v for k, v in data.items() if k != "explanations"} == plain


def test_text_state_keeps_clauses_beside_figures(reference: OneAgreement, capsys) -> None:
    """The text view shows each figure with its clause; --explain appends derivations."""
    text = render_state(reference.state("2004-03-30"))
    assert re.search(r"M  settlement shares\s+28436\s+\[1\.5\(b\) M\]", text)
    assert re.search(r"reserved for pending claims\s+1000\s+\[8\.1\(c\), readings 5\]", text)
    run = run_cli(capsys, "--store", str(reference.path), "state", "APA", "--as-of", "2004-03-30", "--explain")
    assert "earnout.bp_event.settlement_shares = 28436: M = floor(A × N / D)" in run.out


@pytest.mark.skipif(not AGREEMENT_TEXT.exists(), reason="the agreement's text is not on this machine")
def test_every_quotation_is_verbatim_from_the_agreement() -> None:
    """Each part of a quotation between ellipses appears word for word in the agreement."""
    text = " ".join(AGREEMENT_TEXT.read_text().split())
    text = text.replace("N M = A x ----------- D", "M = A x N / D")  # the formula is typeset on three lines
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text)  # words hyphenated across a line break
    for clause, quote in QUOTES.items():
        for part in quote.strip('"').split(" ... "):
            part = part.strip().strip('"')
            assert part in text or part.replace('"', "") in text.replace('"', ""), (clause, part)


@pytest.mark.parametrize("history", HISTORIES, ids=[h.name for h in HISTORIES])
def test_explanations_agree_with_the_state_over_varied_histories(tmp_path: Path, history) -> None:
    """Over the varied histories (late Closing, Deemed Event, missing months ...): each
    explanation carries the figure `state --json` shows, and the formula for released and
    cancelled Earnout Shares ends in that same number."""
    book = new_ledger(tmp_path / "h.sqlite")
    book.apply(*history.facts)
    for as_of in (*history.as_of, "2004-03-30", "2004-06-01"):
        state, found = explanations(book.events(), date.fromisoformat(as_of))
        flat = flatten(state.model_dump(mode="json"))
        assert all(x.value == flat[k] for k, x in found.items() if k in flat)
        for key in ("earnout.released_shares", "earnout.cancelled_shares"):
            result = re.findall(r"[=:] (\d+)", found[key].formula.split(";")[0].split(", on ")[0])
            assert int(result[-1]) == flat[key], (as_of, found[key].formula)
