"""The permission matrices' shared parts: their tables and the rolled-back request.

A table row is `METHOD path  s1 s2 … | o1 …`: the status for each role (in `roles` order), then after the
bar the statuses with the other tenant's ids for the first five roles (one value: the same for all;
`-`: no id to swap).
"""

import contextlib

from django.db import transaction

ROLES = ("admin", "instructor", "hr", "manager", "learner", "anon")


def parse_matrix(table: str, roles: tuple[str, ...] = ROLES) -> list[tuple[str, str, dict, dict]]:
    rows = []
    for line in table.strip().splitlines():
        own, other = line.split("|")
        method, path, *codes = own.split()
        expected = dict(zip(roles, (int(c) for c in codes), strict=True))
        other_codes = other.split()
        if other_codes == ["-"]:
            other_expected = {}
        else:
            values = other_codes * 5 if len(other_codes) == 1 else other_codes
            other_expected = dict(zip(roles[:5], (int(c) for c in values), strict=True))
        rows.append((method, path, expected, other_expected))
    return rows


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back (a matrix request must leave no trace)."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass
