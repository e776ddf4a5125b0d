from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from duecourse.core.api import ERROR_RESPONSES, actor_of, csv_response, rendered_json
from duecourse.reports import selectors

router = Router()


class TeamRow(Schema):
    person_id: int
    name: str
    active: int
    completed: int
    overdue: int


class TeamOut(Schema):
    items: list[TeamRow]


class ComplianceRow(Schema):
    key: str
    required_due: int
    completed: int
    rate: float | None
    exempt: int = 0
    target_id: int | None = None


class ComplianceOut(Schema):
    items: list[ComplianceRow]


class TeamParams(Schema):
    manager_id: int | None = Field(None, ge=1, le=2**62)
    format: Literal["json", "csv"] | None = None


class ComplianceParams(Schema):
    by: Literal["department", "site", "region", "course"] = "department"
    format: Literal["json", "csv"] | None = None


@router.get(
    "/team-status", response={200: TeamOut, **ERROR_RESPONSES}, summary="Per-report counts for a manager's team"
)
def team_status(request: HttpRequest, params: Query[TeamParams]):
    items = selectors.team_status(actor=actor_of(request), manager_id=params.manager_id)
    if params.format == "csv":
        columns = ["person_id", "name", "active", "completed", "overdue"]
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
