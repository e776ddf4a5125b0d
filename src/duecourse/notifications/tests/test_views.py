"""The bell, the inbox and the notification settings."""

import re

import pytest

from duecourse.notifications.models import Notification, NotificationPreference
from duecourse.notifications.services import notify_person
from duecourse.testing.factories import assign, make_course
from duecourse.testing.web import text


@pytest.fixture
def notified(tenant, admin, learner):
    assignment = assign(admin, learner, make_course(tenant, title="Fire safety"), due_date="2030-03-14")
    Notification.objects.filter(person=learner).delete()
    first = notify_person(tenant_id=tenant.pk, person_id=learner.pk, kind="assigned", assignment_id=assignment.pk)
    second = notify_person(tenant_id=tenant.pk, person_id=learner.pk, kind="reminder", assignment_id=assignment.pk)
    return {"assignment": assignment, "first": first, "second": second}


def test_the_bell_shows_the_unread_count(learner, notified, signed_in):
    client = signed_in(learner)
    assert 'hx-get="/notifications/bell/"' in text(client.get("/"))
    bell = text(client.get("/notifications/bell/", HTTP_HX_REQUEST="true"))
    assert re.search(r'<span class="bell-count" data-unread="2">2</span>', bell)
    assert 'aria-label="Notifications: 2 unread"' in bell


def test_the_inbox_lists_headlines_and_opening_one_marks_it_read(learner, notified, signed_in):
    client = signed_in(learner)
    page = text(client.get("/notifications/"))
    assert "New training assigned: Fire safety (due 14 Mar 2030)" in page
    assert "Reminder: Fire safety (due 14 Mar 2030)" in page
    assert "2 unread" in page
    opened = client.get(f"/notifications/{notified['first'].pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/learning/{notified['assignment'].pk}/"
    notified["first"].refresh_from_db()
    assert notified["first"].read_at is not None
    unread = text(client.get("/notifications/", {"show": "unread"}))
    assert "Reminder: Fire safety" in unread and "New training assigned" not in unread
    client.post("/notifications/read/")
    assert "No unread notifications." in text(client.get("/notifications/", {"show": "unread"}))
    assert "bell-count" not in text(client.get("/notifications/bell/"))


def test_nobody_opens_someone_elses_notification(admin, notified, signed_in):
    assert signed_in(admin).get(f"/notifications/{notified['first'].pk}/open/").status_code == 404
    notified["first"].refresh_from_db()
    assert notified["first"].read_at is None


def test_settings_turn_email_off_per_category_and_say_the_obligation_stays(learner, signed_in):
    client = signed_in(learner)
    page = text(client.get("/notifications/settings/"))
    assert "Turning email off never removes what is due." in page
    assert "daily digest" not in page  # only for managers
    response = client.post("/notifications/settings/", {"email_assigned": "on", "email_changes": "on"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(person=learner)
    assert (pref.email_assigned, pref.email_reminders, pref.email_changes, pref.email_certificates) == (
        True,
        False,
        True,
        False,
    )
    page = text(client.get("/notifications/settings/"))
    assert "checked" not in re.search(r'<input[^>]*name="email_reminders"[^>]*>', page).group(0)
    assert "checked" in re.search(r'<input[^>]*name="email_assigned"[^>]*>', page).group(0)
