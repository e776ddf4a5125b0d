"""In a real browser, on a phone: a learner opens the catalog and finds "Continue" on the course they have
started, and the page does not scroll sideways at 390 px."""

import pytest

from duecourse.assignments.progress import progress_record
from duecourse.testing.factories import assign, make_course, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_sees_continue_on_an_assigned_course_without_sideways_scroll(page, sign_in, tenant, ada):
    from playwright.sync_api import expect

    rosa = make_person(tenant, name="Rosa Parks", email="rosa@acme.test")
    started = make_course(tenant, title="Forklift licence", launch_url="https://lms.example.com/forklift")
    make_course(tenant, title="Fire safety")
    assign(ada, rosa, started, due_date="2099-03-31")
    progress_record(actor=ada, person_id=rosa.pk, course_id=started.pk, progress=40)

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(rosa)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/catalog/")

    row = page.locator(f'tr[data-course="{started.pk}"]')
    expect(row.get_by_role("link", name="Continue")).to_be_visible()
    expect(row).to_contain_text("In progress")
    expect(row).to_contain_text("Due 31 Mar 2099")
    expect(page.locator("tr", has_text="Fire safety").locator(".catalog-mark")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
