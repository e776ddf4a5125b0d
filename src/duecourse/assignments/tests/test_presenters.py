"""What the pages say about a due date: overdue is the status's call, the local date only counts days."""

import datetime as dt

import pytest

from duecourse.assignments.presenters import due_text

TODAY = dt.date(2026, 4, 10)


@pytest.mark.parametrize(
    ("status", "due_date", "expected"),
    [
        ("assigned", None, ("No due date", "")),
        ("completed", dt.date(2026, 4, 1), ("Was due 1 Apr 2026", "")),
        ("expired", dt.date(2026, 4, 1), ("Was due 1 Apr 2026", "")),
        ("overdue", dt.date(2026, 4, 7), ("3 days overdue", "danger")),
        ("overdue", dt.date(2026, 4, 9), ("1 day overdue", "danger")),
        ("overdue", TODAY, ("Overdue", "danger")),
        ("in_progress", TODAY, ("Due today", "warning")),
        ("assigned", dt.date(2026, 4, 11), ("Due tomorrow", "warning")),
        ("assigned", dt.date(2026, 4, 17), ("Due in 7 days", "warning")),
        ("assigned", dt.date(2026, 4, 18), ("Due in 8 days", "")),
        ("withdrawn", dt.date(2026, 4, 1), ("Was due 1 Apr 2026", "")),
    ],
)
def test_due_text(status, due_date, expected):
    assert due_text(status=status, due_date=due_date, today=TODAY) == expected


@pytest.mark.parametrize(
    ("status", "due_date", "expected"),
    [
        ("assigned", dt.date(2026, 5, 10), ("Recertify by 10 May 2026", "")),
        ("in_progress", dt.date(2026, 4, 17), ("Recertify by 17 Apr 2026", "warning")),
        ("overdue", dt.date(2026, 4, 7), ("3 days overdue", "danger")),
        ("exempt", dt.date(2026, 4, 7), ("Exempt: not expected while the exemption runs", "")),
    ],
)
def test_due_text_of_a_recertification(status, due_date, expected):
    assert due_text(status=status, due_date=due_date, today=TODAY, recertifying=True) == expected
