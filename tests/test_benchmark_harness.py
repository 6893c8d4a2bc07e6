"""`python -m benchmarks` keeps working: a tiny portfolio through the whole harness (no timing asserted).

The figures themselves are measured by `make bench`, never by the test suite; this only
pins that every measurement the issue names is taken and written to the results JSON,
with a verdict against each target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import TARGETS, main


def test_the_harness_measures_every_figure_of_the_scale_issue(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Issue 5, benchmarks: append (one writer, and `import` on every core) and replay against
    the raw insert and scan, the read model's rebuild, point-in-time by portfolio size and by
    stream length, and the whole-process CLI."""
    out = tmp_path / "results.json"
    main(["--quick", "--agreements", "4", "--no-postgres", "--writers", "2", "--out", str(out)])
    results = json.loads(out.read_text())
    sqlite = results["sqlite"]
    assert results["portfolio"]["agreements"] == 4
    assert sqlite["append"]["events"] > 4 * 100 and sqlite["replay"]["events"] == sqlite["append"]["events"] + 4
    for figure in (sqlite["append"], sqlite["import"], sqlite["replay"], sqlite["read_model_rebuild"]):
        assert figure["events_per_s"] > 0 and figure["ratio"] > 0
    assert sqlite["import"]["writers"] == 2  # `import --workers 2`: this process and one worker, really started
    assert sqlite["append"]["raw_insert_per_batch_events_per_s"] > 0 and sqlite["append"]["ratio_vs_per_batch"] > 0
    rebuild = sqlite["read_model_rebuild"]
    assert rebuild["rows"] > rebuild["events"] and rebuild["one_process_events_per_s"] > 0
    assert rebuild["ceiling_ratio"] > 0 and rebuild["raw_write_of_its_rows_events_per_s"] > 0
    assert rebuild["interleaved_log_events_per_s"] > 0 and rebuild["interleaved_log_ratio"] > 0
    # issue 16, item 4: the rebuild against its floor, the model's size on disk, one batch's export
    assert (
        rebuild["times_floor"] > 1 and rebuild["bytes_per_event"] * rebuild["events"] <= rebuild["bytes_on_disk"] * 1.01
    )
    assert rebuild["bytes_on_disk"] > 0 and rebuild["incremental_one_batch"]["runs"] == 5
    assert sqlite["replay"]["anomalies"] == 0
    assert set(sqlite["point_in_time_by_stream"]) == {"150", "1500"}
    assert sqlite["point_in_time_by_stream"]["1500"]["events"] > 1500
    assert sqlite["cli_state"]["runs"] == 3
    assert set(sqlite["verdicts"]) == {
        "append_ratio",
        "import_ratio",
        "replay_ratio",
        "rebuild_ratio",
        "rebuild_times_floor",
        "incremental_ms",
        "pit_p50_ms_150",
        "pit_flat",
        "cli_s",
        "follow_lag_ms",
    }
    assert sqlite["follow_lag_ms"]["runs"] == 10 and sqlite["follow_lag_ms"]["p50_ms"] > 0
    assert results["postgresql"] == "skipped (--no-postgres)"
    assert results["targets"] == TARGETS
    printed = capsys.readouterr().out
    assert (
        "append" in printed
        and "import (2 writers)" in printed
        and "read model rebuild" in printed
        and "agreements interleaved" in printed
        and "an event; an export of one new batch" in printed
        and "CLI state" in printed
        and "export --follow" in printed
    )
