"""The whole life cycle of a certificate of completion, as the people involved see it, through a real browser,
the API, the worker command (`duecourse worker --once --now`) and a real SMTP server on loopback:

1. an admin adds a training configuration on a site's Training tab (a required course valid 12 months, an
   optional one, certificates on), previews it and saves: the site's people get the training;
2. a learner completes the required course (progress API); the worker emails the certificate once, its PDF
   (read with pypdf) naming the holder, the training, the item and its date, the number, the validity and
   the verification URL, which its QR code encodes;
3. the public verify page says valid, for whom, for what, until when;
4. inside the recertification window the worker re-opens the course (cycle 2, due on the expiry date) with
   the "expiring soon" notice, and the certificate stays valid;
5. past the expiry the worker invalidates it (`expired`), which the verify page says with the date;
6. completing again issues and emails a new certificate; the old one stays, invalid, in the history;
7. the admin adds a required course on the edit page: `requirements_changed`, and the learner is told by
   email what to complete;
8. completing it issues a new certificate;
9. a hidden course made required (PATCH /api/v1/rules/{id}) counts as new in the same way; after catching
   up, an admin revokes the certificate with a reason and the verify page says it was revoked.

Time is moved with time_machine (ticking, so the browser and the live server keep working) from the first
day of next month, so that the cookies the server sets are never in the browser's past. With
DUECOURSE_SCREENSHOTS set it saves the docs' screenshots of the site's Training tab (training-tab.png), the
first certificate's verify page (verify-page.png) and the third certificate's PDF (certificate-pdf.png).
"""

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.utils import formats

from duecourse.assignments.models import Assignment, AssignmentRule
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.models import Course
from duecourse.catalog.services import course_create
from duecourse.core.actors import SystemActor
from duecourse.people.inputs import PersonInput
from duecourse.people.models import Person
from duecourse.people.services import person_create
from duecourse.testing.api import ApiClient
from duecourse.testing.pdfs import pdf_text, qr_matches, render_first_page
from duecourse.testing.scheduling import inbox, worker_once
from duecourse.testing.smtp import smtp_server, smtp_settings  # noqa: F401 - fixtures
from duecourse.testing.web import click_nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("smtp_settings")]

HOLDER = "Łukasz Zoë José"
CONFIGURATION = "Forklift certification"
COURSES = {  # code: title
    "LOG-210": "Forklift safety",
    "HS-110": "Warehouse first aid",
    "LOG-220": "Ladder safety",
    "LOG-230": "Pallet racking",
}


def first_of_next_month() -> dt.datetime:
    today = dt.datetime.now(dt.UTC)
    return dt.datetime(today.year + today.month // 12, today.month % 12 + 1, 1, 9, 0, tzinfo=dt.UTC)


START = first_of_next_month()


def day(moment: dt.datetime | dt.date) -> str:
    """A date as the verify page and the PDF print it (in UTC, the holder's zone here): "5 March 2027"."""
    return formats.date_format(moment, "j F Y")


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def leeds(tenant, ada):
    """The site Leeds (Ada the admin, the learner, Olivia), a person at Milan, and four courses."""
    system = SystemActor(tenant_id=tenant.pk)
    people = {}
    for name, email, site in (
        (HOLDER, "lukasz@acme.test", "Leeds"),
        ("Olivia Smith", "olivia@acme.test", "Leeds"),
        ("Matteo Ricci", "matteo@acme.test", "Milan"),
    ):
        people[name] = person_create(
            actor=system,
            tenant_id=tenant.pk,
            data=PersonInput(email=email, name=name, site=site, department="Logistics", region="EMEA"),
        )
    for code, title in COURSES.items():
        course_create(actor=ada, data=CourseInput(code=code, title=title, estimated_minutes=45, status="active"))
    return people[HOLDER]


class Life:
    """What the test does over and over: move the clock, run the worker, report progress, read the API, the
    mailbox and the public verify page."""

    def __init__(self, traveller, smtp, admin_api: ApiClient, learner: Person, public):
        self.traveller, self.smtp, self.api, self.learner, self.public = traveller, smtp, admin_api, learner, public

    def at(self, moment: dt.datetime) -> dt.datetime:
        self.traveller.move_to(moment)
        return moment

    def worker(self, moment: dt.datetime) -> None:
        """`duecourse worker --once --now <moment>`, with the process clock at that moment too."""
        self.at(moment)
        worker_once(moment)

    def complete(self, code: str, moment: dt.datetime) -> None:
        """The LMS reports a completion through POST /api/v1/progress."""
        self.at(moment)
        response = self.api.post(
            "progress",
            {"person_id": self.learner.pk, "course_code": code, "progress": 100, "completed_at": moment.isoformat()},
        )
        assert response.status_code in (200, 201), response.content

    def certificates(self) -> list[dict]:
        """The learner's certificates, newest first (GET /api/v1/certificates?person_id=)."""
        response = self.api.get("certificates", {"person_id": self.learner.pk})
        assert response.status_code == 200, response.content
        return response.json()["items"]

    def told(self, line: str) -> list:
        """The learner's emails that say `line` (several notices of a tick come in one email)."""
        return [
            m
            for m in self.smtp.handler.received
            if m["To"] == self.learner.email and line in m.get_body(("plain",)).get_content()
        ]

    def issued_mails(self) -> list:
        subject = f"Certificate issued: {CONFIGURATION}"  # each alone in its email, with the PDF
        return [m for m in self.smtp.handler.received if m["Subject"] == subject]

    def verify(self, cert: dict):
        """The public verify page of `cert`, in a browser signed in to nothing; returns its state line."""
        from playwright.sync_api import expect

        self.public.goto(cert["verify_url"])
        expect(self.public.get_by_role("heading", name="Certificate check")).to_be_visible()
        expect(self.public.locator("#verify")).to_contain_text(HOLDER)
        expect(self.public.locator("#verify")).to_contain_text(CONFIGURATION)
        expect(self.public.locator("#verify")).not_to_contain_text(cert["number"])  # for whom, for what, until: no more
        return self.public.locator(".verify-state")


def add_item(page, option: str, rows: int) -> None:
    """On the configuration form: add a course and wait for the item editor to show it (row `rows`)."""
    from playwright.sync_api import expect

    page.get_by_label("Add training").select_option(label=option)
    page.get_by_role("button", name="+ Add").click()
    expect(page.locator("#item-rows .rule-item")).to_have_count(rows)


def pdf_of(message) -> bytes:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return attachment.get_content()


def test_certificate_life_cycle(page, browser, live_server, settings, smtp_server, leeds, ada, sign_in, screenshot):  # noqa: F811
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url  # what the PDF prints, its QR code encodes and the API's verify_url says
    directory = os.environ.get("DUECOURSE_SCREENSHOTS")
    stranger = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 860})
    with time_machine.travel(START, tick=True) as traveller:
        life = Life(traveller, smtp_server, ApiClient(ada), leeds, stranger.new_page())

        # 1. Groups → Sites → Leeds → Training → Add training configuration.
        sign_in(ada)
        click_nav(page, "Groups")
        page.get_by_role("navigation", name="Audiences").get_by_role("link", name="Sites").click()
        page.locator("#org-units-table").get_by_role("link", name="Leeds").click()
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Training").click()
        expect(page.locator("#training-table")).to_contain_text("No training configurations yet.")
        training_tab = page.url
        page.get_by_role("link", name="Add training configuration").click()
        expect(page.get_by_label("Leeds")).to_be_checked()  # the tab's site is the audience
        page.get_by_label("Issue certificates of completion").check()
        page.get_by_role("textbox", name="Name").fill(CONFIGURATION)
        add_item(page, "Forklift safety (LOG-210)", 1)
        page.get_by_label("Validity of Forklift safety").select_option("12")
        add_item(page, "Warehouse first aid (HS-110)", 2)
        page.get_by_label("Visibility of Warehouse first aid").select_option("optional")
        expect(page.get_by_label("Visibility of Forklift safety")).to_have_value("required")
        page.get_by_label("Days after assignment").check()
        page.get_by_label("Days", exact=True).fill("30")
        page.get_by_role("button", name="Preview who is added and removed").click()
        expect(page.locator("#preview-add")).to_have_text("3")  # Ada, the learner and Olivia; not Matteo
        expect(page.locator("#preview-remove")).to_have_text("0")
        assert not Assignment.objects.exists()  # a preview writes nothing
        page.get_by_role("button", name="Save configuration").click()
        expect(page.get_by_role("heading", name=CONFIGURATION)).to_be_visible()
        expect(page.locator("#holder-count")).to_have_text("3")
        expect(page.locator("#holders-table")).to_contain_text(HOLDER)
        expect(page.locator("#holders-table")).not_to_contain_text("Matteo Ricci")
        configuration_page = page.url
        rule = AssignmentRule.objects.get()
        mine = ApiClient(leeds).get("me/assignments").json()["items"]
        assert sorted(a["target"]["title"] for a in mine) == ["Forklift safety", "Warehouse first aid"]
        page.goto(training_tab)
        row = page.locator("#training-table tbody tr")
        expect(row).to_contain_text(CONFIGURATION)
        expect(row).to_contain_text("30 days after assignment")
        expect(row.locator("[data-holders]")).to_have_text("3")
        screenshot(page, "training-tab.png")

        # 2. The learner completes the required course; the worker emails the certificate, once.
        completed = START + dt.timedelta(days=3, hours=1)
        life.complete("LOG-210", completed)
        assert life.issued_mails() == []  # nothing is sent before the worker runs
        life.worker(completed + dt.timedelta(minutes=1))
        (first,) = life.certificates()
        assert first["status"] == "valid" and first["person_name"] == HOLDER and first["title"] == CONFIGURATION
        assert [i["target"]["title"] for i in first["items"]] == ["Forklift safety"]  # not the optional item
        valid_until = parse(first["valid_until"])
        assert valid_until == completed.replace(year=completed.year + 1)
        (mail,) = life.issued_mails()
        assert mail["To"] == "lukasz@acme.test"
        content = pdf_of(mail)
        text = pdf_text(content)
        for expected in (HOLDER, CONFIGURATION, "Forklift safety", day(completed), first["number"], day(valid_until)):
            assert expected in text
        assert "Warehouse first aid" not in text
        assert first["verify_url"] == f"{live_server.url}/verify/{first['code']}"
        assert first["verify_url"] in text
        assert qr_matches(content, first["verify_url"])
        life.worker(completed + dt.timedelta(hours=2))
        assert len(life.issued_mails()) == 1

        # 3. Anyone with the URL sees that it is valid, for whom, for what, until when.
        state = life.verify(first)
        expect(state).to_contain_text(f"Valid. This certificate is valid until {day(valid_until)}.")
        expect(life.public.locator("#verify")).to_contain_text("Forklift safety")
        expect(life.public.locator("#verify")).not_to_contain_text("lukasz@acme.test")
        screenshot(life.public, "verify-page.png")

        # 4. Inside the recertification window: the course re-opens as cycle 2, due on the expiry date.
        life.worker(START + dt.timedelta(days=31))  # a month on: the usual reminders about the optional course
        life.worker(valid_until - dt.timedelta(days=15))
        forklift = Assignment.objects.get(person=leeds, target_id=Course.objects.get(code="LOG-210").pk)
        reopened = life.api.get(f"assignments/{forklift.pk}").json()
        assert (reopened["cycle"], reopened["status"]) == (2, "assigned")
        assert reopened["due_date"] == valid_until.date().isoformat()
        assert parse(reopened["expires_at"]) == valid_until
        assert [n.kind for n in inbox(leeds, "expiring")] == ["expiring"]
        expiring = life.told("Expires soon, recertify: Forklift safety")
        assert len(expiring) == 1 and expiring[0]["To"] == "lukasz@acme.test"
        assert [c["status"] for c in life.certificates()] == ["valid"]
        expect(life.verify(first)).to_contain_text("Valid.")

        # 5. The expiry passes without a new completion: the worker invalidates the certificate.
        life.worker(valid_until + dt.timedelta(days=1))
        (expired,) = life.certificates()
        assert (expired["status"], expired["invalid_reason"]) == ("invalid", "expired")
        assert parse(expired["invalidated_at"]) == valid_until
        state = life.verify(first)
        expect(state).to_contain_text(f"No longer valid since {day(valid_until)}")
        expect(state).to_contain_text("A required item's completion expired")
        (told,) = life.told(f"Certificate no longer valid: {CONFIGURATION}")
        assert "To restore it, complete: Forklift safety." in told.get_body(("plain",)).get_content()

        # 6. Completing again: a new certificate (a new number and code) is issued and emailed.
        again = valid_until + dt.timedelta(days=2)
        life.complete("LOG-210", again)
        life.worker(again + dt.timedelta(minutes=1))
        second, old = life.certificates()
        assert (old["id"], old["status"], old["invalid_reason"]) == (first["id"], "invalid", "expired")
        assert second["status"] == "valid"
        assert second["number"] != first["number"] and second["code"] != first["code"]
        assert parse(second["valid_until"]) == again.replace(year=again.year + 1)
        mails = life.issued_mails()
        assert len(mails) == 2 and second["number"] in pdf_text(pdf_of(mails[-1]))

        # 7. The admin adds a required course (and prepares a hidden one) on the configuration's edit page.
        life.at(again + dt.timedelta(days=2))
        page.context.clear_cookies()  # a year has passed: the old session is gone
        sign_in(ada)
        page.goto(configuration_page)
        page.get_by_role("link", name="Edit").click()
        add_item(page, "Ladder safety (LOG-220)", 3)
        add_item(page, "Pallet racking (LOG-230)", 4)
        page.get_by_label("Visibility of Pallet racking").select_option("hidden")
        expect(page.get_by_label("Visibility of Ladder safety")).to_have_value("required")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#rule-items-summary")).to_contain_text("Ladder safety")
        second, _ = life.certificates()
        assert (second["status"], second["invalid_reason"]) == ("invalid", "requirements_changed")
        life.worker(again + dt.timedelta(days=2, minutes=1))
        told = life.told(f"Certificate no longer valid: {CONFIGURATION}")  # with "New training assigned"
        assert len(told) == 2
        body = told[-1].get_body(("plain",)).get_content()
        assert "To restore it, complete: Ladder safety." in body and "Pallet racking" not in body
        expect(life.verify(second)).to_contain_text("A new required item was added to the training")

        # 8. The learner catches up: re-issued, listing both required courses.
        caught_up = again + dt.timedelta(days=3)
        life.complete("LOG-220", caught_up)
        life.worker(caught_up + dt.timedelta(minutes=1))
        third = life.certificates()[0]
        assert third["status"] == "valid"
        assert sorted(i["target"]["title"] for i in third["items"]) == ["Forklift safety", "Ladder safety"]
        mails = life.issued_mails()
        assert len(mails) == 3
        content = pdf_of(mails[-1])
        for expected in (HOLDER, third["number"], "Forklift safety", day(again), "Ladder safety", day(caught_up)):
            assert expected in pdf_text(content)
        if directory:
            render_first_page(content, Path(directory) / "certificate-pdf.png")

        # 9. The hidden course made required counts as new; after catching up, an admin revokes.
        life.at(caught_up + dt.timedelta(days=1))
        pallet = Course.objects.get(code="LOG-230").pk
        items = [
            {
                "target": {"type": item["target"]["type"], "id": item["target"]["id"]},
                "visibility": "required" if item["target"]["id"] == pallet else item["visibility"],
                "validity_months": item["validity_months"],
            }
            for item in life.api.get(f"rules/{rule.pk}").json()["items"]
        ]
        patched = life.api.patch(f"rules/{rule.pk}", {"items": items})
        assert patched.status_code == 200, patched.content
        assert life.certificates()[0]["invalid_reason"] == "requirements_changed"
        life.worker(caught_up + dt.timedelta(days=1, minutes=1))
        told = life.told(f"Certificate no longer valid: {CONFIGURATION}")
        assert len(told) == 3
        released = told[-1].get_body(("plain",)).get_content()  # the hidden course is announced now
        assert "To restore it, complete: Pallet racking." in released
        assert "New training assigned: Pallet racking" in released
        life.complete("LOG-230", caught_up + dt.timedelta(days=2))
        life.worker(caught_up + dt.timedelta(days=2, minutes=1))
        fourth = life.certificates()[0]
        assert fourth["status"] == "valid" and len(fourth["items"]) == 3
        revoked = life.api.post(f"certificates/{fourth['id']}/revoke", {"reason": "Completed on a colleague's login"})
        assert revoked.status_code == 200 and revoked.json()["invalid_reason"] == "revoked"
        state = life.verify(fourth)
        expect(state).to_contain_text("Revoked by an administrator")
        expect(life.public.locator("#verify")).not_to_contain_text("colleague")

        # The history keeps every certificate; each was emailed exactly once.
        life.worker(caught_up + dt.timedelta(days=3))
        history = life.certificates()
        assert [(c["number"], c["invalid_reason"]) for c in history] == [
            (fourth["number"], "revoked"),
            (third["number"], "requirements_changed"),
            (second["number"], "requirements_changed"),
            (first["number"], "expired"),
        ]
        assert len({c["code"] for c in history}) == 4
        assert sorted(m["Subject"] for m in life.issued_mails()) == [f"Certificate issued: {CONFIGURATION}"] * 4
        assert len(life.told("Expires soon")) == 1
    stranger.close()
