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
    from django.core.management import execute_from_command_line

    execute_from_command_line(["duecourse", *argv])


if __name__ == "__main__":
    main()
