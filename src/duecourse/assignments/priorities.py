"""How important an assignment is, and the order My learning sorts by (high first)."""

from django.db.models import TextChoices


class Priority(TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


DEFAULT_PRIORITY = Priority.MEDIUM
PRIORITY_RANK: dict[str, int] = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
UNKNOWN_PRIORITY_RANK = 9  # after every known priority (the column has choices, so only old data)


def priority_rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, UNKNOWN_PRIORITY_RANK)
