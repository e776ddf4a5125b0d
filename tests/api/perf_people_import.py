"""Import timing, not a test: 100,000 generated people through people.imports.people_import.

    createdb -h 127.0.0.1 -U postgres dc_perf
    export DUECOURSE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dc_perf DUECOURSE_DB_POOL=0
    duecourse migrate
    python tests/api/perf_people_import.py [ROWS]

Prints the seconds of the first import, an unchanged re-import and a re-import changing 10%.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duecourse.config.settings")

import django  # noqa: E402

django.setup()

from duecourse.people.imports import people_import  # noqa: E402
from duecourse.people.services import tenant_create  # noqa: E402


def rows(count: int, *, variant: int = 0) -> list[dict]:
    out = []
    for i in range(count):
        manager = f"p{(i - 1) // 10}@perf.test" if i else ""
        title = "Engineer" if (variant and i % 10 == 0) else "Operator"
        out.append(
            {
                "email": f"p{i}@perf.test",
                "name": f"Person {i}",
                "external_id": f"E{i:07d}",
                "manager_email": manager,
                "department": f"Dept {i % 40}",
                "site": f"Site {i % 25}",
                "region": f"Region {i % 5}",
                "job_title": title,
                "hire_date": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}",
                "timezone": "Europe/London",
                "locale": "en",
                "active": "true",
                "roles": "",
            }
        )
    return out


def timed(label: str, actor, data: list[dict]) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    result = people_import(actor=actor, rows=data)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = {k: v for k, v in result.as_dict().items() if k != "failed"} | {"failed": len(result.failed)}
    print(f"{label}: {seconds:.2f} s wall ({cpu:.2f} s CPU in this process) {summary}", flush=True)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    _, admin = tenant_create(name=f"perf-{time.time_ns()}", admin_email="admin@perf.test", admin_name="Perf Admin")
    timed("first import", admin, rows(count))
    timed("unchanged re-import", admin, rows(count))
    timed("re-import, 10% changed", admin, rows(count, variant=1))


if __name__ == "__main__":
    main()
