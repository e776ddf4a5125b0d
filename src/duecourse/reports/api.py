import datetime as dt
from typing import Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from duecourse.core.api import ERROR_RESPONSES, actor_of, csv_response, rendered_json
from duecourse.reports import exports, selectors, snapshots

router = Router()


class TeamRow(Schema):
    person_id: int
    name: str
    active: int
    completed: int
    overdue: int
    at_risk: int = Field(0, description="open required items that, at the person's pace, will not be done in time")


class TeamOut(Schema):
    items: list[TeamRow]


class ComplianceRow(Schema):
    key: str
    key_id: int | None = Field(None, description="The department, site, region, group, rule or course id (null: none)")
    required_due: int
    completed: int
    rate: float | None
    exempt: int = 0
    target_id: int | None = Field(None, description="by=course: the course id (as key_id)")


class ComplianceOut(Schema):
    items: list[ComplianceRow]


class TeamParams(Schema):
    manager_id: int | None = Field(None, ge=1, le=2**62)
    scope: Literal["direct", "subtree"] = Field(
        "direct", description="`subtree`: the manager's indirect reports too, at any depth"
    )
    format: Literal["json", "csv"] | None = None


Dimension = Literal["department", "site", "region", "course", "group", "rule"]


class ComplianceParams(Schema):
    by: Dimension = "department"
    format: Literal["json", "csv"] | None = None


class TrendParams(Schema):
    by: Dimension = "department"
    weeks: int = Field(12, ge=1, le=snapshots.MAX_TREND_WEEKS, description="Weeks back, this one included (1-104)")


class TrendRow(Schema):
    week: dt.date = Field(..., description="The Monday of the week; figures from its last daily snapshot")
    key: str
    key_id: int | None = None
    required_due: int
    completed: int
    exempt: int
    rate: float | None


class TrendOut(Schema):
    items: list[TrendRow]


@router.get(
    "/team-status",
    response={200: TeamOut, **ERROR_RESPONSES},
    summary="Per-report counts for a manager's team",
    description=(
        "One item per active report of `manager_id` (default: the caller). `scope=subtree` takes indirect "
        "reports at any depth too. A manager sees their own team and the team of anyone below them; admin, "
        "instructor and hr anyone's."
    ),
)
def team_status(request: HttpRequest, params: Query[TeamParams]):
    items = selectors.team_status(actor=actor_of(request), manager_id=params.manager_id, scope=params.scope)
    if params.format == "csv":
        columns = ["person_id", "name", "active", "completed", "overdue", "at_risk"]
        return csv_response("team-status.csv", columns, ([i[c] for c in columns] for i in items))
    # A manager's dashboard: the rows already have TeamRow's shape, so skip response validation.
    return rendered_json(request, {"items": items})


@router.get("/compliance", response={200: ComplianceOut, **ERROR_RESPONSES}, summary="Compliance rate by a dimension")
def compliance(request: HttpRequest, params: Query[ComplianceParams]):
    items = selectors.compliance(actor=actor_of(request), by=params.by)
    if params.format == "csv":
        columns = ["key", "required_due", "completed", "rate", "exempt"]
        return csv_response(f"compliance-by-{params.by}.csv", columns, ([i[c] for c in columns] for i in items))
    return {"items": items}


@router.get(
    "/compliance/trend",
    response={200: TrendOut, **ERROR_RESPONSES},
    summary="Compliance by a dimension, week by week, from the daily snapshots",
    description=(
        "One item per week and key over the last `weeks` weeks (this one included): `week` is that week's "
        "Monday (in the tenant's time zone) and the figures are those of the week's last daily snapshot. "
        "Weeks without a snapshot have no items. Who may: as `compliance`."
    ),
)
def compliance_trend(request: HttpRequest, params: Query[TrendParams]):
    return {"items": snapshots.compliance_trend(actor=actor_of(request), by=params.by, weeks=params.weeks)}


# --- the HR exports (reports/exports.py): CSV only ---------------------------------------------------
def _csv_answer(description: str) -> dict:
    """The 200 of an endpoint that answers CSV only, for the OpenAPI document."""
    return {
        "responses": {
            200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}},
        }
    }


def _streamed(export: exports.Export) -> StreamingHttpResponse:
    return csv_response(export.filename, export.columns, export.rows, headers=export.headers)


class SampleParams(Schema):
    percent: int = Field(..., ge=exports.MIN_PERCENT, le=exports.MAX_PERCENT, description="Share of completions, 1-100")
    seed: int | None = Field(
        None, ge=0, le=exports.MAX_SEED, description="Draw the same sample again (the answer's `X-Sample-Seed`)"
    )
    date_from: dt.date | None = Field(None, alias="from", description="Completed on or after this day (UTC)")
    date_to: dt.date | None = Field(None, alias="to", description="Completed on or before this day (UTC)")


@router.get(
    "/exports/overdue-by-department",
    response={**ERROR_RESPONSES},
    summary="CSV: every overdue assignment, by department (admin, instructor, hr)",
    description="Active people only; ordered by department name (none last), then person name.",
    openapi_extra=_csv_answer("Overdue assignments with department, site, region, manager and escalation tier"),
)
def export_overdue_by_department(request: HttpRequest):
    return _streamed(exports.overdue_by_department(actor=actor_of(request)))


@router.get(
    "/exports/completed-before-start",
    response={**ERROR_RESPONSES},
    summary="CSV: completions dated before the person's hire date (admin, instructor, hr)",
    openapi_extra=_csv_answer("Completions before the hire date, with their evidence"),
)
def export_completed_before_start(request: HttpRequest):
    return _streamed(exports.completed_before_start(actor=actor_of(request)))


@router.get(
    "/exports/audit-sample",
    response={**ERROR_RESPONSES},
    summary="CSV: a random sample of completions with their evidence (admin, instructor, hr)",
    description=(
        "`percent` % of the completions (rounded up), optionally completed `from` / `to` (days, both included), "
        "picked at random. The same `seed` over the same completions draws the same sample; the seed used is "
        "in the `X-Sample-Seed` header and the file name."
    ),
    openapi_extra=_csv_answer("The sampled completions, oldest first"),
)
def export_audit_sample(request: HttpRequest, params: Query[SampleParams]):
    export = exports.audit_sample(
        actor=actor_of(request),
        percent=params.percent,
        seed=params.seed,
        date_from=params.date_from,
        date_to=params.date_to,
    )
    return _streamed(export)
