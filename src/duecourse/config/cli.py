"""The `duecourse` command: Django's management commands under the names of the CLI contract."""

import os
import sys

CONTRACT_COMMANDS = {
    "serve": "Serve the web UI and API (applies migrations; --demo loads demo data; runs the worker).",
    "migrate": "Apply database migrations and exit.",
    "tenant": "Manage tenants: `duecourse tenant create NAME --admin-email E [--admin-name N]`, "
    "`duecourse tenant sso-only NAME --off`.",
    "token": "API tokens: `duecourse token create --email E [--tenant NAME]` prints a new token.",
    "set-password": "Set a person's web login password.",
    "import-people": "Import people from a CSV file (idempotent upsert, --dry-run, --deactivate-missing).",
    "worker": "Run the scheduler (reminders, overdue, expiry, recurrence, certificates, outbox delivery).",
    "bench": "Run the performance benchmark.",
    "snapshot-compliance": "Write today's compliance snapshot now (--tenant NAME, --day YYYY-MM-DD, --replace).",
    "doctor": "Check the invariants the database does not enforce; exits 1 naming what is wrong.",
}
HYPHENATED = {"set-password", "import-people", "snapshot-compliance"}


def _print_help() -> None:
    print("usage: duecourse COMMAND [options]\n")
    print("Self-hostable training assignment. Commands:")
    for name, text in CONTRACT_COMMANDS.items():
        print(f"  {name:<20} {text}")
    print("\n`duecourse COMMAND --help` explains a command; any Django management command also works.")
    print("Configuration comes from DUECOURSE_* environment variables (see README).")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duecourse.config.settings")
    if not argv or argv[0] in {"-h", "--help"} or argv == ["help"]:
        _print_help()
        return
    # Django names commands after modules, so the contract's hyphenated names map to underscores.
    position = 1 if argv[0] == "help" else 0
    if argv[position] in HYPHENATED:
        argv[position] = argv[position].replace("-", "_")
    # What this process writes (the SQLite database and its journal, the generated secret key, emails
    # written as files) is for its own user alone, whichever command creates it first.
    os.umask(os.umask(0) | 0o077)
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError

    try:
        # Load the settings here, so that a configuration problem is one clear line, not a traceback (or
        # Django's "Unknown command" when it goes on without them).
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(["duecourse", *argv])
    except ImproperlyConfigured as error:
        print(f"duecourse: {error}", file=sys.stderr)
        sys.exit(1)
    except OperationalError as error:
        # A database that is down, missing or refuses us: say which and why, not a traceback (the pool's own
        # error only says it waited; a direct connection says what is wrong).
        print(
            f"duecourse: cannot use the database {_database_shown()}: {_connection_problem() or error}", file=sys.stderr
        )
        sys.exit(1)


def _database_shown() -> str:
    """The database's address without its password."""
    from django.conf import settings

    config = settings.DATABASES["default"]
    if "sqlite3" in config["ENGINE"]:
        return str(config["NAME"])
    return f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}/{config['NAME']}"


def _connection_problem() -> str | None:
    """Why a plain connection to the configured PostgreSQL fails (None when it does not, or on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    import psycopg

    params = {k: v for k, v in connection.get_connection_params().items() if k not in {"pool", "prepare_threshold"}}
    try:
        psycopg.connect(**params, connect_timeout=10).close()
    except psycopg.Error as error:
        return str(error).strip()
    return None


if __name__ == "__main__":
    main()
