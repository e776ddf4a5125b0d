"""The PDF stack (fpdf2, fontTools, Pillow, segno: about 40 MB per process) loads only where a PDF is
rendered, never with the web app or the worker that merely start."""

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3]


def test_starting_the_web_app_and_the_worker_loads_no_pdf_library(tmp_path):
    script = (
        "import django, sys; django.setup();"
        "import duecourse.config.urls, duecourse.scheduler.tick;"
        "print(sorted(m for m in ('fpdf', 'fontTools', 'PIL', 'segno') if m in sys.modules))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "duecourse.config.settings",
        "DUECOURSE_DATA_DIR": str(tmp_path),
    }
    env.pop("DUECOURSE_DATABASE_URL", None)
    loaded = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
