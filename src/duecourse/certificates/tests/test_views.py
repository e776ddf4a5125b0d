"""The certificate pages: who may open them (every role × own and other tenant), the list with filters,
CSV and revoke, downloads, the fragments on My learning, a person's page and a configuration's page,
the logo on the settings page, and the public verification page (states, 404, rate limit)."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client, override_settings
from django.utils.formats import date_format
from PIL import Image

from duecourse.certificates import limits
from duecourse.certificates.models import Certificate, TenantLogo
from duecourse.certificates.tests.conftest import START, complete, item, live, make_config
from duecourse.core.models import AuditEvent
from duecourse.testing.web import field_error, text

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
NOW = START + 10 * DAY


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def world(admin, tenant, other_tenant, make_person, courses):
    boss = make_person(tenant, name="Boss Person", email="boss@acme.test")
    people = {
        "admin": admin,
        "instructor": make_person(tenant, roles=("instructor",), name="Ivy Instructor"),
        "hr": make_person(tenant, roles=("hr",), name="Hal HR"),
        "manager": boss,
        "learner": make_person(tenant, name="Zoë Brandt", email="zoe@acme.test", manager=boss),
        "peer": make_person(tenant, name="José Álvarez", email="jose@acme.test"),
    }
    theory = courses[0]
    rule = make_config(admin, [people["learner"], people["peer"]], [item(theory, validity_months=12)])
    complete(admin, people["learner"], theory, START + DAY)
    complete(admin, people["peer"], theory, START + 2 * DAY)
    foreign_admin = make_person(other_tenant, roles=("admin",))
    foreign_person = make_person(other_tenant, name="Foreign Person")
    foreign_course = courses[0].__class__.objects.create(
        tenant=other_tenant, code="F1", title="Foreign", status="active"
    )
    make_config(foreign_admin, [foreign_person], [item(foreign_course)])
    complete(foreign_admin, foreign_person, foreign_course, START + DAY)
    return {
        **people,
        "rule": rule,
        "own": live(people["learner"], rule),  # the learner's: the manager's report
        "other": live(people["peer"], rule),
        "foreign": Certificate.objects.get(person=foreign_person),
    }


# Pages × roles: the learner holds `own`; the manager manages the learner; `other` is a peer's; `foreign` is
# another tenant's. 403: the page exists for others but not this role; 404: not found or not visible.
# fmt: off
PAGES = [
    # path                                   adm  ins  hr   mgr  lrn
    ("/certificates/",                        200, 200, 200, 200, 403),
    ("/certificates/?format=csv",             200, 200, 200, 200, 403),
    ("/certificates/{own}/pdf/",              200, 200, 200, 200, 200),
    ("/certificates/{other}/pdf/",            200, 200, 200, 404, 404),
    ("/certificates/{foreign}/pdf/",          404, 404, 404, 404, 404),
    ("/certificates/{own}/revoke/",           200, 403, 403, 403, 403),
    ("/certificates/{other}/revoke/",         200, 403, 403, 404, 404),
    ("/certificates/{foreign}/revoke/",       404, 404, 404, 404, 404),
    ("/certificates/logo/",                   404, 404, 404, 404, 404),  # no logo yet, for anyone
]
# fmt: on
ROLES = ("admin", "instructor", "hr", "manager", "learner")


def test_who_may_open_which_page(world, signed_in, client):
    wrong = []
    clients = {role: signed_in(world[role]) for role in ROLES}
    for path, *codes in PAGES:
        url = path.format(own=world["own"].pk, other=world["other"].pk, foreign=world["foreign"].pk)
        for role, expected in zip(ROLES, codes, strict=True):
            got = clients[role].get(url).status_code
            if got != expected:
                wrong.append(f"{url} as {role}: expected {expected}, got {got}")
        anonymous = client.get(url)
        if anonymous.status_code != 302 or "/login/" not in anonymous["Location"]:
            wrong.append(f"{url} anonymous: {anonymous.status_code}")
    assert not wrong, "\n".join(wrong)


def test_revoking_and_uploading_are_refused_to_everyone_but_admins(world, signed_in):
    for role in ("instructor", "hr", "manager", "learner"):
        client = signed_in(world[role])
        assert client.post(f"/certificates/{world['own'].pk}/revoke/", {"reason": "x"}).status_code == 403
        assert client.post("/certificates/logo/remove/").status_code == 403
    assert Certificate.objects.get(pk=world["own"].pk).invalidated_at is None


def test_the_list_filters_searches_and_exports(world, signed_in):
    client = signed_in(world["hr"])
    html = text(client.get("/certificates/"))
    assert "Zoë Brandt" in html and "José Álvarez" in html and "Foreign Person" not in html
    assert world["own"].number in html
    assert "Revoke…" not in html  # HR may look, not revoke

    searched = text(client.get("/certificates/", {"q": "zoë"}))
    assert "Zoë Brandt" in searched and "José Álvarez" not in searched
    by_number = text(client.get("/certificates/", {"q": world["other"].number}))
    assert "José Álvarez" in by_number and "Zoë Brandt" not in by_number
    assert "Zoë Brandt" in text(client.get("/certificates/", {"status": "valid", "rule": world["rule"].pk}))
    assert "No certificates match." in text(client.get("/certificates/", {"status": "invalid"}))
    assert "Zoë Brandt" in text(client.get("/certificates/", {"person": world["learner"].pk}))
    assert "José Álvarez" not in text(client.get("/certificates/", {"person": world["learner"].pk}))

    csv = client.get("/certificates/", {"q": "zoë", "format": "csv"})
    body = b"".join(csv.streaming_content).decode()
    assert csv["Content-Type"].startswith("text/csv")
    assert "Zoë Brandt" in body and "José Álvarez" not in body and body.startswith("id,number,person_id")


def test_a_manager_sees_only_their_reports(world, signed_in):
    html = text(signed_in(world["manager"]).get("/certificates/"))
    assert "Zoë Brandt" in html and "José Álvarez" not in html
    assert "Your direct reports" in html


def test_an_admin_revokes_with_a_reason_beside_the_field(world, signed_in):
    client = signed_in(world["admin"])
    assert "Revoke…" in text(client.get("/certificates/"))
    url = f"/certificates/{world['own'].pk}/revoke/"
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422 and field_error(text(refused), "reason")
    assert Certificate.objects.get(pk=world["own"].pk).invalidated_at is None

    done = client.post(url, {"reason": "Completed by someone else"}, follow=True)
    assert f"Revoked certificate {world['own'].number}" in text(done)
    own = Certificate.objects.get(pk=world["own"].pk)
    assert (own.invalid_reason, own.revoke_reason, own.revoked_by_id) == (
        "revoked",
        "Completed by someone else",
        world["admin"].pk,
    )
    assert "nothing to revoke" in text(client.get(url))


def test_pdf_errors_are_shown_to_admins_only(world, signed_in, tenant):
    TenantLogo.objects.create(tenant=tenant, image=b"broken", width=1, height=1, uploaded_at=NOW)
    admin, learner = signed_in(world["admin"]), signed_in(world["learner"])
    failed = learner.get(f"/certificates/{world['own'].pk}/pdf/")
    assert failed.status_code == 409 and "could not be made" in text(failed) and "cannot identify" not in text(failed)
    page = admin.get(f"/certificates/{world['own'].pk}/pdf/")
    assert page.status_code == 409 and "logo" in text(page)
    listed = text(admin.get("/certificates/"))
    assert "PDF not rendered, email held:" in listed
    assert "PDF not rendered" not in text(signed_in(world["hr"]).get("/certificates/"))


def test_my_learning_lists_my_certificates_with_downloads(world, signed_in):
    html = text(signed_in(world["learner"]).get("/learning/"))
    section = html[html.index('id="certificates"') :]
    assert "Forklift licence" in section and world["own"].number in section
    assert f'href="/certificates/{world["own"].pk}/pdf/"' in section
    assert f'href="/verify/{world["own"].code}"' in section
    assert world["other"].number not in section
    pdf = signed_in(world["learner"]).get(f"/certificates/{world['own'].pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_person_page_has_a_certificates_card(world, signed_in):
    html = text(signed_in(world["manager"]).get(f"/people/{world['learner'].pk}/"))
    card = html[html.index('id="person-certificates"') :]
    assert world["own"].number in card and f"/certificates/{world['own'].pk}/pdf/" in card
    own_page = text(signed_in(world["learner"]).get(f"/people/{world['learner'].pk}/"))
    assert 'id="person-certificates"' in own_page


def test_the_configuration_summary_tag(world, admin, make_person):
    template = Template("{% load certificate_fragments %}{% rule_certificates actor rule %}")
    html = template.render(Context({"actor": admin, "rule": world["rule"]}))
    assert re.search(r'id="rule-certificates-valid">2<', html)
    assert re.search(r'id="rule-certificates-invalid">0<', html)
    assert f"/certificates/?rule={world['rule'].pk}" in html
    assert "Issuing" not in html
    nothing = template.render(Context({"actor": world["learner"], "rule": world["rule"]}))
    assert nothing.strip() == ""


class TestLogo:
    @staticmethod
    def png(width=120, height=40) -> io.BytesIO:
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), (20, 80, 200)).save(buffer, format="PNG")
        buffer.seek(0)
        buffer.name = "logo.png"
        return buffer

    def test_upload_shows_on_settings_and_prints(self, world, signed_in):
        client = signed_in(world["admin"])
        assert 'id="certificate-logo"' in text(client.get("/settings/"))
        response = client.post("/certificates/logo/upload/", {"logo": self.png()})
        assert response.status_code == 302 and response["Location"].endswith("/settings/#certificate-logo")
        logo = TenantLogo.objects.get()
        assert (logo.width, logo.height) == (120, 40)
        assert AuditEvent.objects.filter(action="settings.certificate_logo").count() == 1
        assert "Replace logo" in text(client.get("/settings/"))
        image = client.get("/certificates/logo/")
        assert image["Content-Type"] == "image/png" and bytes(image.content).startswith(b"\x89PNG")

        client.post("/certificates/logo/remove/")
        assert not TenantLogo.objects.exists()

    def test_a_file_that_is_no_image_is_refused_beside_the_field(self, world, signed_in):
        client = signed_in(world["admin"])
        bad = io.BytesIO(b"GIF89a not really")
        bad.name = "logo.png"
        response = client.post("/certificates/logo/upload/", {"logo": bad})
        assert response.status_code == 422
        assert "is not an image that can be read" in field_error(text(response), "logo")
        assert not TenantLogo.objects.exists()
        too_big = client.post("/certificates/logo/upload/", {"logo": self.png(5000, 10)})
        assert "at most 4000" in field_error(text(too_big), "logo")

    def test_only_admins_see_the_logo_card(self, world, signed_in):
        assert signed_in(world["hr"]).get("/settings/").status_code == 403


class TestVerify:
    def test_a_valid_certificate_says_for_whom_and_what_and_nothing_else(self, world, client):
        own = world["own"]
        response = client.get(f"/verify/{own.code}")
        html = text(response)
        assert response.status_code == 200
        assert "Valid." in html and "Zoë Brandt" in html and "Forklift licence" in html and "Forklift theory" in html
        assert "3 March 2027" in html and "Acme" in html
        # For whom, for what, valid until; nothing else: not the number, not the issue date.
        assert own.number not in html and "Issued</dt>" not in html
        assert date_format(own.issued_at, "j F Y") not in html
        assert "zoe@acme.test" not in html and f"/people/{world['learner'].pk}" not in html
        assert response["Cache-Control"] == "no-store"
        assert client.get(f"/verify/{own.code}/").status_code == 200  # a trailing slash is forgiven

    def test_an_invalid_certificate_says_since_when_and_why(self, world, client, signed_in):
        signed_in(world["admin"]).post(f"/certificates/{world['own'].pk}/revoke/", {"reason": "Cheating"})
        html = text(client.get(f"/verify/{world['own'].code}"))
        assert "No longer valid" in html and "since 12 March 2026" in html and "Revoked by an administrator" in html
        assert "Cheating" not in html  # the admin's words are for the holder, not the public

    def test_an_expired_one_is_invalid_before_the_worker_records_it(self, world, client):
        with time_machine.travel(START + 400 * DAY, tick=False):
            html = text(client.get(f"/verify/{world['own'].code}"))
        assert "No longer valid" in html and "since 3 March 2027" in html and "expired" in html

    def test_unknown_codes_answer_404(self, world, client):
        for code in ("nope", "x" * 150, world["own"].code[:-1], "a%00b"):
            response = client.get(f"/verify/{code}")
            assert response.status_code == 404 and "Unknown certificate" in text(response), code

    def test_the_31st_check_in_a_minute_answers_429_in_every_process(self, world):
        url = f"/verify/{world['own'].code}"
        assert limits.VERIFY_REQUESTS_PER_MINUTE == 30
        first, second = Client(), Client()  # two web processes: nothing shared but the database
        for n in range(30):
            cache.clear()  # a restarted process, or another one with its own local cache
            assert (first if n % 2 else second).get(url).status_code == 200, n
        limited = first.get(url)
        assert limited.status_code == 429 and limited["Retry-After"] == "60" and "Too many checks" in text(limited)
        assert second.get(url).status_code == 429
        assert first.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200  # another address is not limited
        with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
            assert first.get(url).status_code == 200

    @override_settings(TRUSTED_PROXIES=["10.1.0.0/16"])
    def test_behind_a_trusted_proxy_each_client_is_counted_by_its_forwarded_address(self, world, client, monkeypatch):
        monkeypatch.setattr(limits, "VERIFY_REQUESTS_PER_MINUTE", 3)
        url = f"/verify/{world['own'].code}"

        def via_proxy(forwarded: str, proxy: str = "10.1.0.2") -> int:
            return client.get(url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded).status_code

        assert [via_proxy("203.0.113.5") for _ in range(4)] == [200, 200, 200, 429]
        assert via_proxy("203.0.113.6") == 200  # another client behind the same proxy
        assert via_proxy("203.0.113.5, 10.1.0.7", proxy="10.1.0.3") == 429  # through two of our proxies
        # A client forging the header in front of the proxy is still counted by the address it came from.
        assert via_proxy("198.51.100.1, 203.0.113.5") == 429

    def test_an_untrusted_peer_cannot_choose_its_address(self, world, client, monkeypatch):
        monkeypatch.setattr(limits, "VERIFY_REQUESTS_PER_MINUTE", 3)
        url = f"/verify/{world['own'].code}"
        codes = [client.get(url, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(4)]
        assert [response.status_code for response in codes] == [200, 200, 200, 429]
