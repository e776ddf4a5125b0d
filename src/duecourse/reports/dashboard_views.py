"""The compliance dashboard (HR, admins, instructors), its CSV downloads, and the manager chooser that
takes HR to any manager's team page. Thin: the figures come from `reports.dashboard` and
`reports.selectors.compliance`, the pictures from `reports.charts`."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duecourse.core.api import csv_response
from duecourse.core.errors import forbidden
from duecourse.core.web import person_view
from duecourse.people import roles
from duecourse.people import selectors as people_selectors
from duecourse.people.models import Person
from duecourse.reports import charts, dashboard, permissions, snapshots

DIMENSION_LABELS = {
    "department": gettext_lazy("Department"),
    "site": gettext_lazy("Site"),
    "region": gettext_lazy("Region"),
    "course": gettext_lazy("Course"),
    "group": gettext_lazy("Group"),
    "rule": gettext_lazy("Configuration"),
}
# The same, inside a sentence ("Compliance by department"): their own words, not `lower()` on the label
# (German nouns keep their capital).
DIMENSION_WORDS = {
    "department": gettext_lazy("department"),
    "site": gettext_lazy("site"),
    "region": gettext_lazy("region"),
    "course": gettext_lazy("course"),
    "group": gettext_lazy("group"),
    "rule": gettext_lazy("configuration"),
}
# Dimensions where every item has exactly one key, so the rows add up to the whole organisation.
PARTITIONS = ("department", "site", "region")
TREND_WEEKS = 52
TREND_LINES = 4  # the worst keys of today drawn beside the whole organisation


def _trend(actor, by: str, rows: list[dict]) -> dict:
    """The year's weekly rates from the daily snapshots (what was, not today's data recomputed): the whole
    organisation (for a partition) and today's worst few keys, as a line chart and as a table."""
    items = snapshots.compliance_trend(actor=actor, by=by, weeks=TREND_WEEKS)
    weeks = sorted({i["week"] for i in items})
    totals = []
    for week in weeks:
        of_week = [i for i in items if i["week"] == week]
        required_due = sum(i["required_due"] for i in of_week)
        completed = sum(i["completed"] for i in of_week)
        totals.append(
            {
                "week": week,
                "required_due": required_due,
                "completed": completed,
                "rate": completed / required_due if required_due else None,
            }
        )
    series = []
    if by in PARTITIONS:
        series.append(charts.Series(_("Whole organisation"), [t["rate"] for t in totals]))
    rate_of = {(i["week"], i["key_id"], i["key"]): i["rate"] for i in items}
    for row in rows[:TREND_LINES]:
        series.append(charts.Series(str(row["key"]), [rate_of.get((w, row["key_id"], row["key"])) for w in weeks]))
    for total in totals:
        total["rate_text"] = charts.percent(total["rate"])
    return {
        "chart": charts.line_chart(
            [date_format(w, "j M") for w in weeks],
            series,
            title=_("Compliance rate per week, by %(by)s") % {"by": dimension_word(by)},
        )
        if weeks
        else None,
        "weeks": list(reversed(totals)),
    }


DEFAULT_DIMENSION = "department"
COMPLIANCE_CSV_COLUMNS = ["key", "required_due", "completed", "exempt", "rate"]
MANAGERS_PAGE_SIZE = 50


def dimension_label(by: str) -> str:
    return str(DIMENSION_LABELS.get(by, by.replace("_", " ").capitalize()))


def dimension_word(by: str) -> str:
    return str(DIMENSION_WORDS.get(by, by.replace("_", " ")))


def _dimension(request) -> tuple[str, str]:
    """The chosen dimension and, for one the report does not have, the error naming it."""
    by = request.GET.get("by") or DEFAULT_DIMENSION
    if by in dashboard.dimensions():
        return by, ""
    return DEFAULT_DIMENSION, _("by: “%(by)s” is not a breakdown; choose one of %(choices)s.") % {
        "by": by[:40],
        "choices": ", ".join(dashboard.dimensions()),
    }


def _totals(rows: list[dict]) -> dict:
    required_due = sum(r["required_due"] for r in rows)
    completed = sum(r["completed"] for r in rows)
    rate = completed / required_due if required_due else None
    return {
        "required_due": required_due,
        "completed": completed,
        "exempt": sum(r["exempt"] for r in rows),
        "rate": rate,
        "rate_text": charts.percent(rate),
    }


@person_view
def compliance_view(request):
    actor = request.actor
    dashboard.require_dashboard(actor)
    by, error = _dimension(request)
    rows = dashboard.compliance_rows(actor=actor, by=by)
    for row in rows:
        row["rate_text"] = charts.percent(row["rate"])
    overdue = dashboard.overdue_breakdown(actor=actor)
    label = dimension_label(by)
    context = {
        "by": by,
        "by_label": label,
        "by_word": dimension_word(by),
        "error": error,
        "tabs": [(d, dimension_label(d)) for d in dashboard.dimensions()],
        "rows": rows,
        "totals": _totals(rows) if by in PARTITIONS else None,
        "compliance_chart": charts.bar_chart(
            [
                charts.Bar(str(r["key"]), r["rate"] or 0.0, r["rate_text"], r["url"], charts.rate_tone(r["rate"]))
                for r in rows
            ],
            title=_("Compliance rate by %(by)s, worst first") % {"by": dimension_word(by)},
            max_value=1.0,
        ),
        "overdue": overdue.by_department,
        "overdue_total": overdue.total,
        "overdue_chart": charts.bar_chart(
            [charts.Bar(r["key"], r["overdue"], str(r["overdue"]), r["url"], "bad") for r in overdue.by_department],
            title=_("Overdue items by department, most first"),
        ),
        "ladder": overdue.ladder,
        "ladder_chart": charts.bar_chart(
            [
                charts.Bar(r.short_label, r.count, str(r.count), r.url, "bad" if r.flag else "warn")
                for r in overdue.ladder
            ],
            title=_("Overdue items at each escalation tier"),
        ),
        "flagged": dashboard.flagged_people(actor=actor),
        "at_risk": dashboard.at_risk_figure(actor=actor),
        "trend": _trend(actor, by, rows),
    }
    return render(request, "reports/dashboard.html", context, status=422 if error else 200)


@person_view
def compliance_csv(request):
    actor = request.actor
    dashboard.require_dashboard(actor)
    by, error = _dimension(request)
    if error:
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    rows = dashboard.compliance_rows(actor=actor, by=by)
    return csv_response(
        f"compliance-by-{by}.csv",
        COMPLIANCE_CSV_COLUMNS,
        ([r["key"], r["required_due"], r["completed"], r["exempt"], r["rate"]] for r in rows),
    )


@person_view
def overdue_csv(request):
    rows = dashboard.overdue_breakdown(actor=request.actor).by_department
    return csv_response(
        "overdue-counts-by-department.csv", ["department", "overdue"], ([r["key"], r["overdue"]] for r in rows)
    )


@person_view
def ladder_csv(request):
    rungs = dashboard.overdue_breakdown(actor=request.actor).ladder
    return csv_response(
        "escalation-ladder.csv", ["tier", "label", "overdue"], ([r.tier, r.label, r.count] for r in rungs)
    )


@person_view
def manager_chooser(request):
    """Any manager's team, by search: every active person with active reports and their team size (HR,
    admins, instructors; a manager has their own team page, a learner none)."""
    actor = request.actor
    if not permissions.can_view_tenant_reports(actor):
        raise forbidden("see other managers' teams")
    q = request.GET.get("q", "").strip()[:100]
    team_size = (
        Person.objects.filter(manager_id=OuterRef("pk"), active=True)
        .order_by()
        .values("manager_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    managers = (
        people_selectors.person_list(actor=actor, q=q or None, active=True, role="manager")
        .select_related(None)
        .select_related("department")
        .annotate(team_size=Coalesce(Subquery(team_size), 0))
    )
    page = Paginator(managers, MANAGERS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "query": urlencode({"q": q}) if q else "",
        "own_team": roles.has_reports(actor),
    }
    return render(request, "reports/managers.html", context)
