"""A small run of the real benchmark so it never rots; the full run is `duecourse bench --people 100000`."""

import json
import os
import subprocess
import sys

import pytest

SCENARIOS = {
    "bulk_assign",
    "bulk_assign_repeat",
    "bulk_preview",
    "tick_due",
    "tick_idle",
    "compliance_report",
    "import_people",
    "import_people_unchanged",
    "my_assignments_p95",
    "team_view_p95",
    "xapi_ingest",
    "worker_peak_rss",
}


def test_bench_smoke_run_writes_every_scenario(tmp_path):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DUECOURSE_DATABASE_URL", "DUECOURSE_BENCH_DATABASE_URL")}
    env["DUECOURSE_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "duecourse.config.cli",
            "bench",
            "--people",
            "300",
            "--repeat",
            "1",
            "--requests",
            "20",
            "--xapi-batches",
            "2",
            "--json",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert {r["scenario"] for r in rows} == SCENARIOS
    for row in rows:
        assert set(row) == {"scenario", "size", "value", "unit", "baseline", "ratio"}
        assert row["value"] > 0, row
    bulk = next(r for r in rows if r["scenario"] == "bulk_assign")
    assert bulk["baseline"] > 0 and bulk["ratio"] == pytest.approx(bulk["value"] / bulk["baseline"], rel=0.01)
    assert "bulk_assign" in result.stdout  # the table is printed
