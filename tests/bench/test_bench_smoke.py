"""A small run of the real benchmark so it never rots; the full run is `duecourse bench --people 100000`."""

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.slow  # the benchmark in a real process

SCENARIOS = {
    "bulk_assign",
    "bulk_assign_repeat",
    "bulk_preview",
    "bulk_assign_second_source",
    "tick_due",
    "tick_idle",
    "compliance_report",
    "import_people",
    "import_people_unchanged",
    "my_assignments_p95",
    "team_view_p95",
    "page_mandatory_tasks_p95",
    "page_compliance_p95",
    "page_overview_p95",
    "page_team_p95",
    "page_my_learning_p95",
    "xapi_ingest",
    "worker_peak_rss",
}


def _fresh_postgres_database(test_url: str) -> str:
    """An empty database beside the test database, so the smoke run exercises the PostgreSQL SQL too."""
    import psycopg

    parsed = urlsplit(test_url)
    name = f"{parsed.path.lstrip('/') or 'test'}_bench_smoke"
    admin_url = urlunsplit((parsed.scheme, parsed.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit((parsed.scheme, parsed.netloc, f"/{name}", "", ""))


def test_bench_smoke_run_writes_every_scenario(tmp_path):
    out = tmp_path / "bench.json"
    private = ("DUECOURSE_DATABASE_URL", "DUECOURSE_BENCH_DATABASE_URL", "DUECOURSE_TEST_DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in private and k != "DJANGO_SETTINGS_MODULE"}
    env["DUECOURSE_DATA_DIR"] = str(tmp_path / "data")
    database = []
    test_url = os.environ.get("DUECOURSE_TEST_DATABASE_URL", "")
    if test_url.startswith("postgres"):
        database = ["--database", _fresh_postgres_database(test_url)]
    command = [sys.executable, "-m", "duecourse.config.cli", "bench", "--people", "300", "--repeat", "1"]
    command += ["--requests", "20", "--xapi-batches", "2", "--json", str(out), *database]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert {r["scenario"] for r in rows} == SCENARIOS
    for row in rows:
        assert set(row) == {"scenario", "size", "value", "unit", "baseline", "ratio"}
        assert row["value"] > 0, row
    bulk = next(r for r in rows if r["scenario"] == "bulk_assign")
    assert bulk["baseline"] > 0 and bulk["ratio"] == pytest.approx(bulk["value"] / bulk["baseline"], rel=0.02)
    assert "bulk_assign" in result.stdout  # the table is printed
