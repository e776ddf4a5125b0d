"""Operator safety, as an operator meets it: real `duecourse` processes on a fresh data dir.

The data dir and what is written in it (database, generated secret key, emails as files) are for the
service's user alone; a secret key that cannot be read or made stops the start (never a known fallback
key); and an https install passes `check --deploy` without a warning.
"""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import duecourse

pytestmark = pytest.mark.slow  # a real process each

SOURCE = Path(duecourse.__file__).resolve().parents[1]  # this checkout's code, not an installed copy


def run(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUECOURSE_")}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' conftest, never by an operator
    environment.update(PYTHONPATH=str(SOURCE), PYTHONUNBUFFERED="1", DUECOURSE_DATA_DIR=str(data_dir), **env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "duecourse.config.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


KEY = secrets.token_urlsafe(50)


@pytest.mark.parametrize("argv", [["migrate"], ["check"], ["worker", "--help"], ["serve", "--help"]], ids=" ".join)
def test_every_command_makes_a_fresh_data_dir_for_its_user_only(tmp_path, argv):
    data_dir = tmp_path / "var" / "duecourse"

    result = run(*argv, data_dir=data_dir, DUECOURSE_SECRET_KEY=KEY)

    assert result.returncode == 0, result.stderr
    assert mode(data_dir) == 0o700
    if argv == ["migrate"]:
        database = data_dir / "duecourse.sqlite3"
        assert database.stat().st_size > 0
        for path in data_dir.glob("duecourse.sqlite3*"):  # with its WAL files, when they remain
            assert mode(path) == 0o600, path


def test_the_generated_key_and_emails_written_as_files_are_for_the_owner_only(tmp_path):
    data_dir = tmp_path / "data"
    send = "from django.core.mail import send_mail; send_mail('Hello', 'Body', 'a@x.test', ['b@x.test'])"

    result = run("shell", "--verbosity", "0", "-c", send, data_dir=data_dir)

    assert result.returncode == 0, result.stderr
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert len((data_dir / "secret_key").read_text().strip()) >= 50
    (email,) = (data_dir / "emails").iterdir()
    assert mode(data_dir / "emails") == 0o700 and mode(email) == 0o600


def test_the_key_file_is_0600_from_the_start_whatever_the_umask(tmp_path):
    """Not left to the CLI's umask: a process that loads the settings itself (a WSGI server) gets the same."""
    code = "import os; os.umask(0); import duecourse.config.settings"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUECOURSE_")}
    environment.update(PYTHONPATH=str(SOURCE), DUECOURSE_DATA_DIR=str(tmp_path / "data"))
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, timeout=60)  # noqa: S603

    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "secret_key") == 0o600


@pytest.mark.parametrize("problem", ["data dir cannot be made", "key file unreadable"])
def test_a_secret_key_that_cannot_be_read_or_made_stops_the_start(tmp_path, problem):
    if problem == "data dir cannot be made":
        (tmp_path / "a-file").write_text("")
        data_dir = tmp_path / "a-file" / "data"  # under a plain file: no directory can be made (even by root)
        reason = "Not a directory"
    else:
        data_dir = tmp_path / "data"
        (data_dir / "secret_key").mkdir(parents=True)
        reason = "Is a directory"

    result = run("migrate", data_dir=data_dir)

    assert result.returncode == 1
    assert result.stderr.startswith(f"duecourse: cannot use the secret key file {data_dir / 'secret_key'}: {reason}.")
    assert "Set DUECOURSE_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
    assert not (data_dir / "duecourse.sqlite3").exists()


HTTPS = {"DUECOURSE_BASE_URL": "https://training.example.com", "DUECOURSE_SECRET_KEY": KEY}
SHOW = (
    "from django.conf import settings as s; "
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE)"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "31536000 False None True"),  # no scheme from the proxy: redirecting here would loop
        ({"DUECOURSE_PROXY_SSL_HEADER": "1"}, "31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') True"),
        ({"DUECOURSE_SSL_REDIRECT": "0", "DUECOURSE_HSTS_SECONDS": "3600"}, "3600 False None True"),
    ],
    ids=["https, the proxy redirects", "behind a proxy that says the scheme", "redirect off by hand"],
)
def test_an_https_install_passes_the_deploy_check(tmp_path, env, expected):
    check = run("check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path, **HTTPS, **env)

    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout
    assert "WARNING" not in check.stderr
    assert run("shell", "--verbosity", "0", "-c", SHOW, data_dir=tmp_path, **HTTPS, **env).stdout.strip() == expected


def test_a_plain_http_install_sends_no_hsts_and_does_not_redirect(tmp_path):
    shown = run("shell", "--verbosity", "0", "-c", SHOW, data_dir=tmp_path, DUECOURSE_BASE_URL="http://127.0.0.1:8000")

    assert shown.stdout.strip() == "0 False None False"
