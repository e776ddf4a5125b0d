"""The Mandatory tasks list's rules as plain data: its sort orders, page size, the filter names a
bookmark or saved view keeps, and the views every workspace user starts with. No database here."""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PAGE_SIZE = 50
COUNT_CAP = 10_000  # the list counts this far ("10,000+"); the actions on everything matched reach all
MAX_VIEW_NAME_LENGTH = 80
MAX_VIEW_QUERY_LENGTH = 2000
MAX_SAVED_VIEWS = 50  # per person


@dataclass(frozen=True)
class Sort:
    label: str | Promise
    fields: tuple[str, ...]  # model fields ("-" = descending; null dates always last); "status" is derived


SORTS: dict[str, Sort] = {
    "due": Sort(_("Due date, soonest first"), ("due_at", "id")),
    "-due": Sort(_("Due date, latest first"), ("-due_at", "-id")),
    "person": Sort(_("Person, A to Z"), ("person__name", "due_at", "id")),
    "department": Sort(_("Department, then person"), ("person__department__name", "person__name", "due_at", "id")),
    "status": Sort(_("Status"), ("status", "due_at", "id")),
    "assigned": Sort(_("Assigned, newest first"), ("-assigned_at", "-id")),
    "completed": Sort(_("Completed, newest first"), ("-completed_at", "-id")),
}
DEFAULT_SORT = "due"

# Status choices of the list: a group ("to do", "any") or one of the seven statuses (`assignments.status`).
STATUS_TODO = "todo"
STATUS_ANY = "any"

# The names the list's query string may carry (the filter form's fields and the sort). A bookmark or a
# saved view keeps these and nothing else (no page number, no CSRF token, no action).
FILTER_NAMES: tuple[str, ...] = (
    "q",
    "status",
    "escalation_tier",
    "compliance_flag",
    "at_risk",
    "department",
    "site",
    "region",
    "group_id",
    "manager",
    "scope",
    "target",
    "source_kind",
    "rule_id",
    "due_after",
    "due_before",
    "assigned_by",
)


def view_query(pairs) -> str:
    """The query string a bookmark or saved view keeps: known names with a value, in a stable order."""
    kept = [(k, v) for k, v in pairs if k in (*FILTER_NAMES, "sort") and str(v).strip()]
    order = {name: i for i, name in enumerate((*FILTER_NAMES, "sort"))}
    kept.sort(key=lambda kv: order[kv[0]])
    return urlencode(kept)[:MAX_VIEW_QUERY_LENGTH]


def clean_view_query(query: str) -> str:
    return view_query(parse_qsl(query.lstrip("?"), keep_blank_values=False))


@dataclass(frozen=True)
class BuiltInView:
    name: str | Promise
    query: str
    description: str | Promise


# What every workspace user finds under "Views" before saving their own (HR's seed exports among them).
BUILT_IN_VIEWS: tuple[BuiltInView, ...] = (
    BuiltInView(_("To do, soonest due"), "", _("Everything not yet done, by due date")),
    BuiltInView(_("All overdue by department"), "status=overdue&sort=department", _("HR's export: download it as CSV")),
    BuiltInView(_("Escalated"), "status=overdue&escalation_tier=1", _("Overdue long enough for the first escalation")),
    BuiltInView(_("Compliance-flagged, to do"), "compliance_flag=yes", _("Flagged items still to be done")),
    BuiltInView(_("At risk"), "at_risk=yes", _("Will not be done by the due date at the person's pace")),
    BuiltInView(_("Recently completed"), "status=completed&sort=completed", _("Completions, newest first")),
)
