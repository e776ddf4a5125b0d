"""The CLI's answers to bad input and to `--help`, run in-process through the `duecourse` entry point.

Same argv parsing, commands and services as the real process (see test_commands.py), on the test
database, so these also run against PostgreSQL.
"""

import argparse
import json

import pytest
from django.core.management import get_commands, load_command_class
from django.db import connections

from duecourse.config.cli import main
from duecourse.people.models import Person
from duecourse.people.services import tenant_create

DJANGO_OPTIONS = {
    "help",
    "version",
    "verbosity",
    "settings",
    "pythonpath",
    "traceback",
    "no_color",
    "force_color",
    "skip_checks",
}


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """Django closes every connection when a command ends: that would end the test's transaction."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def acme(db):
    tenant, _ = tenant_create(name="Acme", admin_email="ada@acme.test", admin_name="Ada Admin")
    return tenant


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--help"], ["--host", "--port", "--demo", "--no-worker", "--workers", "--threads"]),
        (["migrate", "--help"], ["migrations"]),
        (["tenant", "--help"], ["create"]),
        (["tenant", "create", "--help"], ["NAME", "--admin-email", "--admin-name"]),
        (["token", "create", "--help"], ["--email", "--tenant", "prints"]),
        (["set-password", "--help"], ["--email", "--tenant", "--password"]),
        (["import-people", "--help"], ["--tenant", "--dry-run", "--deactivate-missing", "manager_email"]),
        (["help", "import-people"], ["--deactivate-missing"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and value[0][0] != "-" else "",
)
def test_every_command_explains_each_option(capsys, argv, expected):
    code, out, _ = run(capsys, *argv)
    assert code == 0
    for word in expected:
        assert word in out


@pytest.mark.parametrize("name", ["serve", "tenant", "token", "set_password", "import_people"])
def test_every_option_has_a_sentence_of_help(name):
    command = load_command_class(get_commands()[name], name)
    parsers = [command.create_parser("duecourse", name)]
    for parser in parsers:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            elif action.dest not in DJANGO_OPTIONS:
                assert action.help, f"{parser.prog}: {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize(
    ("argv", "message", "code"),
    [
        (["tenant", "create", "Acme", "--admin-email", "other@acme.test"], "a tenant named 'Acme' already exists", 1),
        (["tenant", "create", "Beta", "--admin-email", "not-an-email"], "not a valid email", 1),
        (["tenant", "create", "  ", "--admin-email", "x@beta.test"], "name: is required", 1),
        (["tenant", "create", "Beta"], "--admin-email", 2),
        (["tenant", "frobnicate"], "invalid choice", 2),
        (["token", "create", "--email", "nobody@acme.test"], "no person with email nobody@acme.test", 1),
        (["token", "create", "--email", "ada@acme.test", "--tenant", "Globex"], "no person with email", 1),
        (["set-password", "--email", "ada@acme.test", "--password", "abc"], "too short", 1),
        (["set-password", "--email", "nobody@acme.test", "--password", "long-enough"], "no person with email", 1),
        (["import-people", "missing.csv", "--tenant", "Acme"], "missing.csv does not exist", 1),
        (["import-people", "people.csv", "--tenant", "Globex"], "no tenant named 'Globex'", 1),
        (["import-people", "people.csv"], "--tenant", 2),
        (["import-people", "unknown-column.csv", "--tenant", "Acme"], "Unknown column(s): colour", 1),
        (["import-people", "binary.csv", "--tenant", "Acme"], "is not UTF-8 text", 1),
        (["import-people", "empty.csv", "--tenant", "Acme"], "is empty", 1),
    ],
)
def test_bad_input_gets_a_clear_error_a_non_zero_exit_and_no_change(acme, capsys, tmp_path, argv, message, code):
    (tmp_path / "people.csv").write_text("email,name\nbo@acme.test,Bo\n")
    (tmp_path / "unknown-column.csv").write_text("email,colour\nbo@acme.test,red\n")
    (tmp_path / "binary.csv").write_bytes(b"email,name\n\xff\xfe\x00bo,Bo\n")
    (tmp_path / "empty.csv").write_text("")
    argv = [str(tmp_path / a) if a.endswith(".csv") else a for a in argv]
    before = Person.objects.count()
    status, out, err = run(capsys, *argv)
    assert (status, out) == (code, "")
    assert message in err
    assert Person.objects.count() == before


def test_import_people_reports_each_failed_row_and_exits_1(acme, capsys, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "email,name,timezone,manager_email\n"
        "maria@acme.test,Maria Rossi,Europe/Rome,\n"
        "not-an-email,Tom Hall,Europe/London,maria@acme.test\n"
        "jo@acme.test,Jo Lee,Mars/Olympus,\n"
        "sam@acme.test,Sam Carter,Europe/London,nobody@acme.test\n"
    )
    status, out, err = run(capsys, "import-people", str(path), "--tenant", "Acme")
    assert status == 1
    assert "3 row(s) failed" in err
    summary = json.loads(out)
    assert summary["created"] == 1
    assert [(f["row"], [e["field"] for e in f["errors"]]) for f in summary["failed"]] == [
        (1, ["email"]),
        (2, ["timezone"]),
        (3, ["manager_email"]),
    ]
    assert sorted(Person.objects.values_list("email", flat=True)) == ["ada@acme.test", "maria@acme.test"]


def test_token_create_prints_only_the_token(acme, capsys):
    status, out, err = run(capsys, "token", "create", "--email", "ADA@acme.test", "--tenant", "Acme")
    assert status == 0
    assert out.count("\n") == 1 and out.startswith("dc_")
    assert err == ""
