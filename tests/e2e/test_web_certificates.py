"""In a real browser: a learner finds their certificate on My learning, downloads the PDF (opened with
pypdf: holder, items, number, the verification URL as text and QR code), follows the printed URL to the
public verification page without signing in, and an admin revokes it, which that page then says.
Everything under the Content-Security-Policy. With DUECOURSE_SCREENSHOTS set, it saves the admin's
Certificates page (the PDF and verify page screenshots come from tests/e2e/test_certificate_lifecycle.py)."""

import re
from pathlib import Path

import pytest

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.progress import progress_record
from duecourse.certificates.models import Certificate
from duecourse.core import clock
from duecourse.testing.factories import make_course, target
from duecourse.testing.pdfs import pdf_text, qr_matches
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: seen.append(f"uncaught: {error}"))
    return seen


@pytest.fixture
def certified(tenant, ada, make_person, settings, live_server):
    settings.BASE_URL = live_server.url  # what the PDF prints and its QR code encodes
    zoe = make_person(tenant, name="Zoë Łukasz-Núñez", email="zoe@acme.test", job_title="Forklift driver")
    theory = make_course(tenant, title="Forklift theory")
    practice = make_course(tenant, title="Forklift practice")
    rule, _ = rule_create(
        actor=ada,
        data=RuleInput.model_validate(
            {
                "name": "Forklift licence",
                "audience": {"person_ids": [zoe.pk]},
                "items": [
                    {"target": target(theory), "validity_months": 12},
                    {"target": target(practice), "validity_months": 24},
                ],
                "certificate": True,
            }
        ),
    )
    now = clock.now()
    for course in (theory, practice):
        progress_record(actor=ada, person_id=zoe.pk, course_id=course.pk, completed_at=now)
    return zoe, Certificate.objects.get(person=zoe, rule=rule)


def test_learner_downloads_and_checks_their_certificate(
    page, browser, live_server, certified, ada, sign_in, screenshot, violations
):
    from playwright.sync_api import expect

    zoe, cert = certified
    sign_in(zoe)
    click_nav(page, "My learning")
    section = page.locator("#certificates")
    expect(section.get_by_role("heading", name=re.compile("Certificates"))).to_be_visible()
    row = section.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Forklift licence")
    expect(row).to_contain_text(cert.number)
    expect(row.locator(".badge")).to_have_text("Valid")

    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"certificate-{cert.number}.pdf"
    content = Path(download.path()).read_bytes()
    text = pdf_text(content)
    for expected in ("Zoë Łukasz-Núñez", "Forklift licence", "Forklift theory", "Forklift practice", cert.number):
        assert expected in text
    printed = re.search(r"(http://\S+/verify/\S+)", text).group(1)
    assert printed == f"{live_server.url}/verify/{cert.code}"
    assert qr_matches(content, printed)

    # The printed (and scanned) URL, in a browser that is signed in to nothing.
    stranger = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 860})
    public = stranger.new_page()
    public.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    public.goto(printed)
    expect(public.get_by_role("heading", name="Certificate check")).to_be_visible()
    expect(public.locator(".verify-state")).to_contain_text("Valid.")
    expect(public.locator("#verify")).to_contain_text("Zoë Łukasz-Núñez")
    expect(public.locator("#verify")).to_contain_text("Forklift practice")
    expect(public.locator("#verify")).not_to_contain_text("zoe@acme.test")
    expect(public.locator("#verify")).not_to_contain_text(cert.number)

    # An admin revokes it from the certificates page; the public page says so at once.
    page.context.clear_cookies()
    sign_in(ada)
    click_nav(page, "Certificates")
    expect(page.locator("#certificates-table tbody tr")).to_have_count(1)
    screenshot(page, "certificates.png")
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_label("Reason").fill("Completed on someone else's account")
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.locator(".flash")).to_contain_text(f"Revoked certificate {cert.number}")
    expect(page.locator("#certificates-table .badge")).to_have_text("No longer valid")

    public.reload()
    expect(public.locator(".verify-state")).to_contain_text("No longer valid")
    expect(public.locator(".verify-state")).to_contain_text("Revoked by an administrator")
    public.goto("/verify/not-a-real-code")
    expect(public.get_by_role("heading", name="Unknown certificate")).to_be_visible()
    stranger.close()
    assert violations == []
