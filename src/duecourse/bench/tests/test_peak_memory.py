"""The worker-memory figure is the worker's own, not the size of the benchmark process that starts it."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # real processes


def run_measured(code: str) -> dict:
    launcher = [sys.executable, "-m", "duecourse.bench.peak_memory", "--", sys.executable, "-c", code]
    return json.loads(subprocess.run(launcher, capture_output=True, text=True, check=True).stdout)  # noqa: S603


def test_a_big_parent_does_not_count_towards_the_measured_command():
    parent_ballast = bytearray(300 * 1024 * 1024)
    parent_ballast[::4096] = b"\1" * len(parent_ballast[::4096])  # touch every page: really resident
    small = run_measured("pass")
    assert small["exit"] == 0
    assert small["peak_rss_mb"] < 100
    del parent_ballast


def test_the_commands_own_peak_and_exit_status_are_reported():
    grown = run_measured(
        "import sys; ballast = bytearray(200 * 1024 * 1024); ballast[::4096] = b'1' * 51200; sys.exit(3)"
    )
    assert grown["exit"] == 3
    assert 200 <= grown["peak_rss_mb"] < 400
