"""At most one live certificate per person and configuration, however many issuers race: a database
constraint, so concurrent transactions cannot break it; the loser's insert is ignored, not an error."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from duecourse.assignments.models import Assignment
from duecourse.assignments.tests.test_concurrency import THREADS, race
from duecourse.certificates import limits
from duecourse.certificates.issuing import certificates_refresh
from duecourse.certificates.models import Certificate, VerifyRateBucket
from duecourse.certificates.tests.conftest import START, complete, item, live, make_config
from duecourse.notifications.models import Notification, OutboxMessage


@pytest.mark.django_db
def test_a_second_live_certificate_is_refused_by_the_database(admin, learner, courses):
    rule = make_config(admin, [learner], [item(courses[0])])
    complete(admin, learner, courses[0], START)
    cert = live(learner, rule)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            tenant=cert.tenant,
            person=learner,
            rule=rule,
            number="CERT-999999",
            code="other",
            title="x",
            issued_at=START,
        )
    assert certificates_refresh(tenant_id=rule.tenant_id, now=START).issued == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: there is no race")
@pytest.mark.django_db(transaction=True)
def test_racing_issuers_issue_one_certificate_and_one_email(admin, tenant, make_person, courses):
    people = [make_person(tenant) for _ in range(3)]
    rule = make_config(admin, people, [item(courses[0])], certificate=False)
    # Completed behind the services' back, so that no event has issued anything yet.
    Assignment.objects.filter(person__in=people).update(completed_at=START, progress=100)
    rule.certificate = True
    rule.save(update_fields=["certificate"])

    race(lambda i: certificates_refresh(tenant_id=tenant.pk, rules=[rule], now=START))

    for person in people:
        assert Certificate.objects.filter(person=person, rule=rule, invalidated_at__isnull=True).count() == 1
    assert Notification.objects.filter(kind="certificate_issued").count() == 3
    assert OutboxMessage.objects.filter(dedup_key__startswith="certificate:").count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: there is no race")
@pytest.mark.django_db(transaction=True)
def test_racing_checks_of_the_verification_page_count_every_request(admin, learner, courses, monkeypatch):
    monkeypatch.setattr(limits, "VERIFY_REQUESTS_PER_MINUTE", 2)
    rule = make_config(admin, [learner], [item(courses[0])])
    complete(admin, learner, courses[0], START)
    url = f"/verify/{live(learner, rule).code}"

    codes = race(lambda i: Client().get(url, REMOTE_ADDR="203.0.113.5").status_code)

    assert sorted(codes) == [200, 200] + [429] * (THREADS - 2)  # no 500: the upsert never collides
    assert VerifyRateBucket.objects.get().hits == THREADS
