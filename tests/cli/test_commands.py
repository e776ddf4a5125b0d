"""The `duecourse` command end to end, as an operator runs it: a real process on a temporary SQLite file.

Each process costs about a second, so error cases and every `--help` are covered in-process by
test_command_errors.py, through the same entry point.
"""

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real process each

TOKEN_PATTERN = re.compile(r"^dc_[0-9a-f]+_[A-Za-z0-9_-]+$")
_script = Path(sys.executable).with_name("duecourse")
DUECOURSE = [str(_script)] if _script.exists() else [sys.executable, "-m", "duecourse.config.cli"]


def _environment(data_dir: Path) -> dict[str, str]:
    """The caller's environment without the test settings, pointed at a data dir of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUECOURSE_") and k != "DJANGO_SETTINGS_MODULE"}
    env["DUECOURSE_DATA_DIR"] = str(data_dir)
    env["DUECOURSE_DATABASE_URL"] = f"sqlite:///{data_dir / 'duecourse.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Cli:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.env = _environment(data_dir)

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(  # noqa: S603
            [*DUECOURSE, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if ok:
            assert result.returncode == 0, f"duecourse {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def python(self, code: str) -> str:
        """Run Python inside the installed project (`duecourse shell -c`), as an operator could."""
        return self("shell", "--verbosity", "0", "-c", code).stdout.strip()


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated database per module (migrating costs seconds); each test gets a copy."""
    data_dir = tmp_path_factory.mktemp("template")
    Cli(data_dir)("migrate")
    assert (data_dir / "duecourse.sqlite3").exists()
    return data_dir


@pytest.fixture
def acme(migrated_template, tmp_path) -> Cli:
    """A data dir of its own with tenant Acme and its admin ada@acme.test."""
    cli = Cli(tmp_path / "acme")
    shutil.copytree(migrated_template, cli.data_dir)
    cli("tenant", "create", "Acme", "--admin-email", "ada@acme.test", "--admin-name", "Ada Admin")
    return cli


# --- help ------------------------------------------------------------------------------------------


def test_top_level_help_lists_the_contract_commands(tmp_path):
    result = Cli(tmp_path)("--help")
    for name in ("serve", "migrate", "tenant", "token", "set-password", "import-people", "worker"):
        assert re.search(rf"^\s+{name}\s", result.stdout, re.MULTILINE), name


def test_hyphenated_commands_answer_help_under_their_contract_names(tmp_path):
    result = Cli(tmp_path)("set-password", "--help")
    assert "--password" in result.stdout


# --- tenant, token, password -----------------------------------------------------------------------


def test_migrate_tenant_token_and_password_work_together(migrated_template, tmp_path):
    cli = Cli(tmp_path / "data")
    shutil.copytree(migrated_template, cli.data_dir)  # `duecourse migrate` on an empty data dir made it
    assert "No migrations to apply" in cli("migrate").stdout

    created = cli("tenant", "create", "Acme", "--admin-email", "Ada@Acme.test", "--admin-name", "Ada Admin")
    tenant_id = created.stdout.strip()
    assert tenant_id.isdigit()

    token = cli("token", "create", "--email", "ada@acme.test")
    assert TOKEN_PATTERN.match(token.stdout.strip()), token.stdout
    assert token.stdout.count("\n") == 1  # the token and nothing else on stdout
    cli("set-password", "--email", "ada@acme.test", "--tenant", "Acme", "--password", "s3cret-pass")

    checked = cli.python(
        "from django.contrib.auth import authenticate\n"
        "from django.test import RequestFactory\n"
        "from duecourse.people.services import api_token_authenticate\n"
        "login = RequestFactory().post('/login/')\n"
        f"person = api_token_authenticate({token.stdout.strip()!r})\n"
        "print(person.email, person.tenant_id, person.is_admin)\n"
        "print(authenticate(login, email='ada@acme.test', password='s3cret-pass') is not None)\n"
        "print(authenticate(login, email='ada@acme.test', password='wrong') is not None)"
    )
    assert checked.splitlines() == [f"ada@acme.test {tenant_id} True", "True", "False"]


# --- import-people -----------------------------------------------------------------------------------


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


PEOPLE = [
    {
        "external_id": "E1",
        "email": "maria@acme.test",
        "name": "Maria Rossi",
        "manager_email": "",
        "department": "Logistics",
        "site": "Milan",
        "region": "EMEA",
        "job_title": "Warehouse Manager",
        "hire_date": "2019-03-01",
        "timezone": "Europe/Rome",
    },
    {
        "external_id": "E2",
        "email": "tom@acme.test",
        "name": "Tom Hall",
        "manager_email": "maria@acme.test",
        "department": "Logistics",
        "site": "Leeds",
        "region": "EMEA",
        "job_title": "Forklift Driver",
        "hire_date": "2026-02-02",
        "timezone": "Europe/London",
    },
    {
        "external_id": "E3",
        "email": "jo@acme.test",
        "name": "Jo Lee",
        "manager_email": "maria@acme.test",
        "department": "Sales",
        "site": "Austin",
        "region": "Americas",
        "job_title": "Account Executive",
        "hire_date": "2024-06-10",
        "timezone": "America/Chicago",
    },
]


def _import(cli: Cli, path: Path, *flags: str, ok: bool = True) -> tuple[dict, subprocess.CompletedProcess]:
    result = cli("import-people", str(path), "--tenant", "Acme", *flags, ok=ok)
    return json.loads(result.stdout), result


def test_import_people_is_an_idempotent_upsert(acme, tmp_path):
    path = _write_csv(tmp_path / "people.csv", PEOPLE)
    first, _ = _import(acme, path)
    assert (first["created"], first["updated"], first["unchanged"], first["failed"]) == (3, 0, 0, [])
    again, _ = _import(acme, path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)

    changed = [dict(PEOPLE[0]), dict(PEOPLE[1], site="Milan", timezone="Europe/Rome")]
    path = _write_csv(tmp_path / "changed.csv", changed)
    preview, _ = _import(acme, path, "--dry-run", "--deactivate-missing")
    assert (preview["updated"], preview["unchanged"], preview["deactivated"], preview["dry_run"]) == (1, 1, 1, True)

    applied, _ = _import(acme, path, "--deactivate-missing")  # the same counts: the dry run wrote nothing
    assert (applied["updated"], applied["deactivated"], applied["dry_run"]) == (1, 1, False)
    state = acme.python(
        "from duecourse.people.models import Person\n"
        "for p in Person.objects.order_by('email'):\n"
        "    print(p.email, p.site.name if p.site else '-', p.active, p.manager.email if p.manager else '-')"
    )
    assert state.splitlines() == [
        "ada@acme.test - True -",  # the admin the import runs as is never deactivated
        "jo@acme.test Austin False maria@acme.test",
        "maria@acme.test Milan True -",
        "tom@acme.test Milan True maria@acme.test",
    ]


# --- serve ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, logs: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{logs.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"serve did not answer within {timeout}s:\n{logs.read_text()}")


def _get_json(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _log_in(base: str, email: str, password: str) -> tuple[int, str, str]:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/login/", timeout=10).read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": email, "password": password}).encode()
    with opener.open(f"{base}/login/", data=body, timeout=10) as response:
        return response.status, response.url, response.read().decode()


def test_serve_demo_serves_the_ui_and_api_and_stops_cleanly(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cli = Cli(tmp_path / "data")
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [*DUECOURSE, "serve", "--demo", "--port", str(port)], env=cli.env, stdout=stdout, stderr=stderr
        )
    try:
        _wait_for_http(f"{base}/login/", process, err)
        banner = out.read_text()
        assert f"duecourse is running at {base}/" in banner
        assert "admin@demo.duecourse.test" in banner
        assert "password demo1234" in banner
        token = re.search(r"^\s+(dc_\S+)\s*$", banner, re.MULTILINE).group(1)

        status, final_url, page = _log_in(base, "manager@demo.duecourse.test", "demo1234")
        assert status == 200
        assert not final_url.rstrip("/").endswith("/login"), "the demo login was refused"
        assert "Tom Hargreaves" in page
        _, refused_url, _ = _log_in(base, "manager@demo.duecourse.test", "wrong-password")
        assert refused_url.rstrip("/").endswith("/login")

        with urllib.request.urlopen(f"{base}/static/duecourse/htmx.min.js", timeout=10) as response:  # noqa: S310
            assert response.status == 200
            assert "javascript" in response.headers["Content-Type"]

        status, people = _get_json(f"{base}/api/v1/people?limit=500", token)
        assert status == 200
        assert 180 <= people["count"] <= 220
        assert {"Logistics", "Sales", "Engineering", "Finance", "HR", "Operations"} <= {
            p["department"] for p in people["items"]
        }
        assert _get_json(f"{base}/api/v1/people", "dc_bad_token")[0] == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert returncode == 0, err.read_text()
    assert "Shutting down" in err.read_text()


def test_serve_refuses_a_busy_port_clearly(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = Cli(tmp_path)("serve", "--port", str(port), "--no-worker", ok=False)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_database_it_cannot_open_is_named_with_the_reason_not_a_traceback(tmp_path):
    cli = Cli(tmp_path / "data")
    cli.env["DUECOURSE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'missing-dir' / 'duecourse.sqlite3'}"
    result = cli("migrate", ok=False)
    assert result.returncode == 1
    assert f"duecourse: cannot use the database {tmp_path / 'missing-dir' / 'duecourse.sqlite3'}: unable to open" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
