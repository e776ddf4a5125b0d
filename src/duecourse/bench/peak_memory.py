"""Run one command and print its peak resident memory, measured from a small process of its own.

    python -m duecourse.bench.peak_memory -- duecourse worker --once

Linux keeps a process's peak RSS across `exec`, and a child started from a big process (the
benchmark, after building its tenant, holds a few hundred MB) begins as a copy of it, so `wait4`
on a direct child reports the parent's size, not the command's. This launcher is a fresh
interpreter with only the standard library loaded (about 10 MB): the command it starts inherits
that, so the figure is the command's own. Prints one JSON object: {"exit": code, "peak_rss_mb": n}.
"""

import json
import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: python -m duecourse.bench.peak_memory -- COMMAND [ARG …]", file=sys.stderr)
        return 2
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "peak_rss_mb": usage.ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
