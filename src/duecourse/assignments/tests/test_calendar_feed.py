"""The calendar feed: a person's open training as all-day events on its due dates, at a secret URL that a
calendar app fetches without signing in, that can be reset, and that follows due date changes."""

import datetime as dt

import icalendar
import pytest
from django.test import Client

from duecourse.assignments import progress, services
from duecourse.assignments.models import Assignment
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import assign, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena(tenant, make_person):
    return make_person(tenant, name="Lena Learner", email="lena@acme.test", timezone="Pacific/Auckland")


def _feed_path(url: str) -> str:
    assert url.startswith("http://127.0.0.1:8000/calendar/") and url.endswith(".ics"), url
    return url.removeprefix("http://127.0.0.1:8000")


def _events(response) -> dict[str, icalendar.Event]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_has_each_open_item_on_its_due_date_with_its_note_priority_and_link(admin, api_as, lena, tenant):
    fire = make_course(tenant, title="Fire safety")
    first_aid = make_course(tenant, title="First aid")
    item = assign(admin, lena, fire, due_date="2030-06-30", note="Bring your badge", priority="high")
    assign(admin, lena, first_aid, due_date="2030-07-15")
    assign(admin, lena, make_course(tenant, title="No date"))  # nothing to put in a calendar
    done = make_course(tenant, title="Done already")
    assign(admin, lena, done, due_date="2030-05-01")
    progress.progress_record(actor=admin, person_id=lena.pk, course_id=done.pk, progress=100)
    gone = assign(admin, lena, make_course(tenant, title="Withdrawn"), due_date="2030-05-02")
    services.assignment_withdraw(actor=admin, assignment=gone)
    hidden = assign(admin, lena, make_course(tenant, title="Hidden"), due_date="2030-05-03")
    Assignment.objects.filter(pk=hidden.pk).update(visibility="hidden")

    url = api_as(lena).get("me/calendar").json()["url"]
    assert api_as(lena).get("me/calendar").json()["url"] == url  # the same link until it is reset
    events = _events(Client().get(_feed_path(url)))  # a calendar app: no session, no token

    assert set(events) == {"Due: Fire safety", "Due: First aid"}
    fire_event = events["Due: Fire safety"]
    # The due date is the person's own date (Auckland): an all-day event on it, not shifted to UTC.
    assert fire_event.decoded("dtstart") == dt.date(2030, 6, 30)
    assert fire_event.decoded("dtend") == dt.date(2030, 7, 1)
    assert "Bring your badge" in str(fire_event["description"]) and "Priority: High" in str(fire_event["description"])
    assert str(fire_event["url"]) == f"http://127.0.0.1:8000/learning/{item.pk}/"
    assert int(fire_event["priority"]) == 1
    assert str(fire_event["uid"]).startswith(f"assignment-{item.pk}-1@")


def test_the_feed_follows_a_due_date_change(admin, api_as, lena, tenant):
    item = assign(admin, lena, make_course(tenant, title="Fire safety"), due_date="2030-06-30")
    path = _feed_path(api_as(lena).get("me/calendar").json()["url"])
    assert api_as(admin).patch(f"assignments/{item.pk}", {"due_date": "2030-09-01"}).status_code == 200
    assert _events(Client().get(path))["Due: Fire safety"].decoded("dtstart") == dt.date(2030, 9, 1)


def test_a_reset_ends_the_old_link_at_once_and_is_audited(api_as, lena):
    api = api_as(lena)
    old = _feed_path(api.get("me/calendar").json()["url"])
    new = _feed_path(api.post("me/calendar").json()["url"])
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert api.get("me/calendar").json()["url"].endswith(new)
    assert AuditEvent.objects.filter(action="calendar.feed_reset", actor_id=lena.pk, object_id=lena.pk).count() == 1


def test_a_wrong_token_anothers_id_or_a_deactivated_person_opens_nothing(api_as, lena, tenant, make_person):
    path = _feed_path(api_as(lena).get("me/calendar").json()["url"])
    person_id, token = path.removeprefix("/calendar/").removesuffix(".ics").split("/")
    other = make_person(tenant)
    api_as(other).get("me/calendar")
    assert Client().get(f"/calendar/{person_id}/{token[:-1]}x.ics").status_code == 404
    assert Client().get(f"/calendar/{other.pk}/{token}.ics").status_code == 404
    assert Client().get(f"/calendar/999999/{token}.ics").status_code == 404
    lena.active = False
    lena.save()
    assert Client().get(path).status_code == 404


def test_the_api_needs_a_signed_in_caller(api_as):
    assert api_as(None).get("me/calendar").status_code == 401
    assert api_as(None).post("me/calendar").status_code == 401


def test_the_download_and_the_profile_card_are_the_callers_own(admin, lena, tenant, signed_in, make_person):
    assign(admin, lena, make_course(tenant, title="Fire safety"), due_date="2030-06-30")
    client = signed_in(lena)
    download = client.get("/learning/calendar.ics")
    assert download["Content-Disposition"] == 'attachment; filename="training-due.ics"'
    assert set(_events(download)) == {"Due: Fire safety"}
    assert Client().get("/learning/calendar.ics").status_code == 302  # to the login page

    own = client.get(f"/people/{lena.pk}/").content.decode()
    assert 'hx-get="/learning/calendar/"' in own
    card = client.get("/learning/calendar/").content.decode()
    assert 'id="calendar-url">http://127.0.0.1:8000/calendar/' in card
    assert 'href="/learning/calendar.ics"' in card and 'action="/learning/calendar/reset/"' in card
    someone = make_person(tenant, manager=lena)
    assert 'hx-get="/learning/calendar/"' not in client.get(f"/people/{someone.pk}/").content.decode()

    old = client.get("/learning/calendar/").content.decode()
    response = client.post("/learning/calendar/reset/")
    assert response.status_code == 302 and response["Location"] == f"/people/{lena.pk}/#calendar"
    assert client.get("/learning/calendar/").content.decode() != old
