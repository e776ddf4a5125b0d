"""An HR script written for Frappe LMS, run unchanged against a live server over HTTP (`requests`).

The script is what such scripts look like: a key pair in `Authorization: token`, form-encoded POSTs with
`employees` as JSON text, `r.json()["message"]`, and `_server_messages` decoded twice on failure.
"""

import json

import pytest
import requests

from duecourse.compat.tests.conftest import frappe_pair
from duecourse.testing.factories import make_course, make_person

pytestmark = pytest.mark.django_db(transaction=True)


def hr_script(base_url: str, api_key: str, api_secret: str, course: str, emails: list[str], due: str) -> dict:
    """The script under test, written against Frappe's API only."""
    session = requests.Session()
    session.headers.update({"Authorization": f"token {api_key}:{api_secret}", "Accept": "application/json"})
    out: dict = {}
    r = session.post(
        f"{base_url}/api/method/lms.lms.api.assign_mandatory_training",
        data={"course": course, "employees": json.dumps(emails), "due_date": due},
        timeout=30,
    )
    if r.ok:
        out["assigned"] = r.json()["message"]["assigned"]
    else:
        out["error"] = (r.status_code, r.json()["exc_type"])
        out["messages"] = [json.loads(m)["message"] for m in json.loads(r.json()["_server_messages"])]
        return out
    r = session.get(f"{base_url}/api/method/lms.lms.api.get_team_training_status", timeout=30)
    r.raise_for_status()
    out["team"] = {row["employee"]: (row["active"], row["overdue"]) for row in r.json()["message"]}
    return out


def test_an_unchanged_frappe_hr_script_runs_against_duecourse(live_server, settings):
    settings.WHITENOISE_USE_FINDERS = False
    from duecourse.core.models import Tenant

    tenant = Tenant.objects.create(name="Acme")
    boss = make_person(tenant, email="bea@acme.test", name="Bea Boss")
    make_person(tenant, email="ann@acme.test", name="Ann One", manager=boss)
    make_person(tenant, email="ben@acme.test", name="Ben Two", manager=boss)
    make_course(tenant, code="FIRE-101")
    api_key, api_secret = frappe_pair(boss)
    team = ["ann@acme.test", "ben@acme.test"]

    first = hr_script(live_server.url, api_key, api_secret, "FIRE-101", team, "2020-01-31")
    second = hr_script(live_server.url, api_key, api_secret, "FIRE-101", team, "2020-01-31")
    failed = hr_script(live_server.url, api_key, api_secret, "FIRE-999", team, "2020-01-31")

    assert first == {"assigned": 2, "team": {"ann@acme.test": (1, 1), "ben@acme.test": (1, 1)}}
    assert second["assigned"] == 0  # open assignments are not duplicated
    assert failed == {"error": (404, "DoesNotExistError"), "messages": ["course: no course with code 'FIRE-999'"]}
