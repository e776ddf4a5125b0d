"""The README starts with the two commands, and CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _first_code_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_the_readme_opens_with_the_run_and_test_commands():
    run, test = _first_code_block()
    assert run == "pip install . && duecourse serve --demo"
    assert test.startswith("pip install -e '.[test]' && ")


def test_ci_runs_the_readmes_test_command():
    _, test = _first_code_block()
    readme_command = test.split(" && ", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text()
    ci_command = re.search(r"^TEST_COMMAND=\((.*)\)$", ci, re.M).group(1)
    assert ci_command == readme_command
