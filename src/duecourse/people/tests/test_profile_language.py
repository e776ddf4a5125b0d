"""A person sets their own language and time zone on their profile page; the next page speaks it."""

import re

from duecourse.people.models import Person
from duecourse.testing.web import field_error, text


def test_own_profile_offers_the_language_and_time_zone_form(learner, signed_in):
    html = text(signed_in(learner).get(f"/people/{learner.pk}/"))
    assert 'id="language-title">Language and time zone<' in html
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', html)
    assert options[:3] == [("en", "English"), ("it", "Italiano"), ("de", "Deutsch")]
    assert '<option value="Europe/Rome">' in html  # the known zones, to search in


def test_saving_changes_both_and_the_next_page_is_italian(learner, signed_in):
    client = signed_in(learner)
    response = client.post(f"/people/{learner.pk}/language/", {"locale": "it", "timezone": "Europe/Rome"})
    assert response.status_code == 302 and response["Location"] == f"/people/{learner.pk}/"
    learner.refresh_from_db()
    assert (learner.locale, learner.timezone) == ("it", "Europe/Rome")
    html = text(client.get(response["Location"]))
    assert '<html lang="it">' in html
    assert "Lingua e fuso orario" in html  # the form's heading
    assert "Lingua e fuso orario salvati." in html  # the message, already in the new language


def test_german_profile_page(make_person, tenant, signed_in):
    person = make_person(tenant, locale="de-CH", timezone="Europe/Zurich")
    html = text(signed_in(person).get(f"/people/{person.pk}/"))
    assert '<html lang="de">' in html
    assert "Sprache und Zeitzone" in html
    assert '<option value="de" selected>Deutsch</option>' in html  # de-CH asks for German


def test_keeping_the_language_keeps_a_regional_locale(make_person, tenant, signed_in):
    person = make_person(tenant, locale="de-CH", timezone="Europe/Zurich")
    response = signed_in(person).post(f"/people/{person.pk}/language/", {"locale": "de", "timezone": "Europe/Berlin"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.locale, person.timezone) == ("de-CH", "Europe/Berlin")


def test_a_bad_time_zone_is_an_error_naming_the_field_and_nothing_changes(learner, signed_in):
    before = (learner.locale, learner.timezone)
    response = signed_in(learner).post(f"/people/{learner.pk}/language/", {"locale": "it", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    error = field_error(text(response), "timezone")
    assert "time zone" in error and "Mars/Olympus" in error
    learner.refresh_from_db()
    assert (learner.locale, learner.timezone) == before


def test_a_bad_language_is_an_error_naming_the_field_and_nothing_changes(learner, signed_in):
    before = (learner.locale, learner.timezone)
    response = signed_in(learner).post(f"/people/{learner.pk}/language/", {"locale": "xx", "timezone": "Europe/Rome"})
    assert response.status_code == 422
    assert "Language" in field_error(text(response), "locale")
    learner.refresh_from_db()
    assert (learner.locale, learner.timezone) == before


def test_a_learner_cannot_change_another_persons_language(learner, make_person, tenant, signed_in):
    colleague = make_person(tenant, locale="en", timezone="UTC")
    report = make_person(tenant, locale="en", timezone="UTC", manager=learner)  # visible to them as manager
    client = signed_in(learner)
    for person in (colleague, report):
        response = client.post(f"/people/{person.pk}/language/", {"locale": "it", "timezone": "Europe/Rome"})
        assert response.status_code in (403, 404)
        person.refresh_from_db()
        assert (person.locale, person.timezone) == ("en", "UTC")
    assert 'id="language-title"' not in text(client.get(f"/people/{report.pk}/"))


def test_an_admin_who_may_edit_a_person_may_set_their_language(admin, learner, signed_in):
    response = signed_in(admin).post(f"/people/{learner.pk}/language/", {"locale": "de", "timezone": "Europe/Berlin"})
    assert response.status_code == 302
    assert Person.objects.get(pk=learner.pk).locale == "de"
