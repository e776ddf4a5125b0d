"""In a real browser: a learner downloads their due dates as a calendar from My learning, finds the feed
to subscribe to on their profile, resets it (the old link stops at once), and the card fits a phone."""

import urllib.error
import urllib.request

import icalendar
import pytest

from duecourse.testing.factories import assign, make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fetch(live_server, url: str) -> tuple[int, bytes]:
    """What a calendar app gets for the feed URL (its path, against the test server)."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    try:
        with urllib.request.urlopen(f"{live_server.url}/{path}", timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_a_learner_downloads_subscribes_and_resets_their_calendar(
    browser, page, sign_in, live_server, tenant, ada, make_person
):
    from playwright.sync_api import expect

    learner = make_person(tenant, email="lena@acme.test", name="Lena Learner", timezone="Europe/Rome")
    assign(ada, learner, make_course(tenant, title="Fire safety"), due_date="2030-06-30")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(learner)

    page.goto("/learning/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Add due dates to my calendar (.ics)").click()
    calendar = icalendar.Calendar.from_ical(open(download.value.path(), "rb").read())  # noqa: SIM115
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Due: Fire safety" and str(event.decoded("dtstart")) == "2030-06-30"

    page.get_by_role("link", name="Subscribe…").click()
    card = page.locator("#calendar")
    expect(card.get_by_role("heading", name="Calendar")).to_be_visible()
    old_url = card.locator("#calendar-url").inner_text()
    assert _fetch(live_server, old_url)[0] == 200

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Reset the link").click()
    expect(page.get_by_text("Your calendar has a new link")).to_be_visible()
    new_url = page.locator("#calendar-url").inner_text()
    assert new_url != old_url
    assert _fetch(live_server, old_url)[0] == 404
    status, body = _fetch(live_server, new_url)
    assert status == 200 and b"SUMMARY:Due: Fire safety" in body

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone_page = phone.new_page()
    phone_page.context.add_cookies(page.context.cookies())
    phone_page.goto(f"/people/{learner.pk}/")
    expect(phone_page.locator("#calendar-url")).to_have_text(new_url)
    box = phone_page.locator("#calendar").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    phone.close()
    assert errors == []
