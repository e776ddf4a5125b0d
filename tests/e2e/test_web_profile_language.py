"""End to end in a real browser on a phone: a learner sets their language to Italiano and their time zone on
their own profile page; the next pages speak Italian (My learning: "La mia formazione"), and neither page
scrolls sideways at 390 px."""

import pytest

from duecourse.core.actors import SystemActor
from duecourse.people.inputs import PersonInput
from duecourse.people.models import Person
from duecourse.people.services import person_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_learner_switches_to_italian_on_their_profile(page, sign_in, tenant):
    lena = person_create(
        actor=SystemActor(tenant_id=tenant.pk),
        tenant_id=tenant.pk,
        data=PersonInput(email="lena@acme.test", name="Lena Learner", locale="en", timezone="UTC"),
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(60_000)  # a busy machine: the first page of a live server can be slow
    sign_in(lena)
    page.goto(f"/people/{lena.pk}/")
    form = page.locator("#language")
    assert form.get_by_role("heading", name="Language and time zone").is_visible()
    assert _sideways(page) <= 0

    form.get_by_label("Language").select_option(label="Italiano")
    form.get_by_label("Time zone").fill("Europe/Rome")
    form.get_by_role("button", name="Save language and time zone").click()

    page.wait_for_url(f"**/people/{lena.pk}/")
    assert page.get_by_text("Lingua e fuso orario salvati.").is_visible()
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.locator("#language").get_by_role("heading", name="Lingua e fuso orario").is_visible()
    assert _sideways(page) <= 0
    lena = Person.objects.get(pk=lena.pk)
    assert (lena.locale, lena.timezone) == ("it", "Europe/Rome")

    page.goto("/learning/")
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.locator('a[href="/learning/"]', has_text="La mia formazione").count() >= 1
    assert page.title().startswith("La mia formazione") or "La mia formazione" in page.content()
    assert _sideways(page) <= 0
