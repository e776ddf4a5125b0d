"""How important an assignment is, and the order My learning sorts by (high first)."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Priority(TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


DEFAULT_PRIORITY = Priority.MEDIUM
PRIORITY_RANK: dict[str, int] = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
UNKNOWN_PRIORITY_RANK = 9  # after every known priority (the column has choices, so only old data)


def priority_rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, UNKNOWN_PRIORITY_RANK)
