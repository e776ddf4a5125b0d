"""The worker's certificate steps: expiry when `valid_until` passes, renewal, backlogs issued in batches
(switching certificates on for a configuration people already completed), and the hourly repair."""

import datetime as dt

import pytest

from duecourse.assignments.models import Assignment
from duecourse.certificates import limits, sweeps
from duecourse.certificates.domain import is_valid
from duecourse.certificates.models import Certificate, CertificateBacklog, VerifyRateBucket
from duecourse.certificates.selectors import rule_summary
from duecourse.certificates.sweeps import certificates_repair, certificates_sweep
from duecourse.certificates.tests.conftest import (
    START,
    assignment_of,
    certificates_of,
    change_config,
    complete,
    item,
    live,
    make_config,
)
from duecourse.certificates.throttle import count_verify_request
from duecourse.notifications.models import Notification
from duecourse.testing.scheduling import tick

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def team(tenant, make_person):
    return [make_person(tenant, name=f"Worker {n}") for n in range(5)]


class TestExpiry:
    def test_expires_when_a_required_completion_runs_out_and_the_holder_is_told(self, admin, team, courses):
        theory = courses[0]
        rule = make_config(admin, team, [item(theory, validity_months=12)])
        complete(admin, team[0], theory, START + DAY)
        cert = live(team[0], rule)
        expiry = cert.valid_until
        assert expiry == assignment_of(team[0], theory).expires_at

        tick(expiry - dt.timedelta(minutes=1))
        cert.refresh_from_db()
        assert cert.invalidated_at is None

        tick(expiry + dt.timedelta(minutes=1))
        cert.refresh_from_db()
        assert (cert.invalid_reason, cert.invalidated_at) == ("expired", expiry)  # since the instant it ran out
        (told,) = Notification.objects.filter(person=team[0], kind="certificate_invalidated")
        assert "To restore it, complete: Forklift theory" in told.data["note"]
        tick(expiry + dt.timedelta(hours=2))
        assert Notification.objects.filter(person=team[0], kind="certificate_invalidated").count() == 1

        complete(admin, team[0], theory, expiry + 3 * DAY)  # catching up: a new certificate
        renewed = live(team[0], rule)
        assert renewed.pk != cert.pk and renewed.valid_until > expiry + 300 * DAY

    def test_status_is_invalid_at_the_expiry_instant_before_the_worker_records_it(self, admin, team, courses):
        theory = courses[0]
        rule = make_config(admin, team, [item(theory, validity_months=6)])
        complete(admin, team[0], theory, START + DAY)
        cert = live(team[0], rule)
        assert is_valid(invalidated_at=None, valid_until=cert.valid_until, now=cert.valid_until - DAY)
        assert not is_valid(invalidated_at=None, valid_until=cert.valid_until, now=cert.valid_until)

    def test_stays_valid_through_a_recertification_window_and_renews_quietly(self, admin, team, courses):
        theory = courses[0]
        rule = make_config(admin, team, [item(theory, validity_months=12)])
        complete(admin, team[0], theory, START + DAY)
        cert = live(team[0], rule)
        expiry = cert.valid_until
        # The recertification sweep re-opens the assignment a window before the expiry: no completion,
        # `expires_at` keeping the old expiry. The certificate stays valid meanwhile.
        window_opens = expiry - 30 * DAY
        Assignment.objects.filter(pk=assignment_of(team[0], theory).pk).update(
            completed_at=None, completions_after=START + DAY, cycle=2, progress=0
        )
        tick(window_opens + DAY)
        cert.refresh_from_db()
        assert cert.invalidated_at is None

        # Recertified inside the window: at the old expiry the certificate is renewed, without an
        # "invalidated" notice (the new certificate is the news).
        complete(admin, team[0], theory, expiry - 10 * DAY)
        Assignment.objects.filter(pk=assignment_of(team[0], theory).pk).update(expires_at=expiry + 365 * DAY)
        tick(expiry + dt.timedelta(minutes=1))
        cert.refresh_from_db()
        assert cert.invalid_reason == "expired"
        renewed = live(team[0], rule)
        assert renewed is not None and renewed.valid_until == expiry + 365 * DAY
        assert not Notification.objects.filter(person=team[0], kind="certificate_invalidated").exists()
        assert Notification.objects.filter(person=team[0], kind="certificate_issued").count() == 2

    def test_a_failing_configuration_does_not_hold_up_other_expiries(self, admin, team, courses, monkeypatch, caplog):
        theory, practice, _ = courses
        broken = make_config(admin, team[:2], [item(theory, validity_months=6)], name="Broken")
        healthy = make_config(admin, team[2:4], [item(practice, validity_months=6)], name="Healthy")
        for person in team[:2]:
            complete(admin, person, theory, START + DAY)
        for person in team[2:4]:
            complete(admin, person, practice, START + DAY)
        expiring = [live(p, broken) for p in team[:2]] + [live(p, healthy) for p in team[2:4]]
        expiry = max(c.valid_until for c in expiring)
        real_refresh = sweeps.certificates_refresh

        def refresh(*, rules, **kwargs):
            if rules[0].pk == broken.pk:
                raise RuntimeError("a bug in one configuration")
            return real_refresh(rules=rules, **kwargs)

        monkeypatch.setattr(sweeps, "certificates_refresh", refresh)
        # The broken configuration's certificates come first in the claim order (they ran out first).
        done = certificates_sweep(now=expiry + DAY, batch=1000, budget_seconds=5.0)

        assert done == 2
        for cert in expiring:
            cert.refresh_from_db()
        assert [c.invalid_reason for c in expiring] == [None, None, "expired", "expired"]
        assert f"rule {broken.pk}" in caplog.text and "a bug in one configuration" in caplog.text


class TestBacklog:
    def test_switching_certificates_on_issues_to_everyone_complete_in_batches(self, admin, team, courses, monkeypatch):
        monkeypatch.setattr(limits, "INLINE_ISSUE_LIMIT", 2)
        monkeypatch.setattr(limits, "SWEEP_BATCH", 2)
        theory = courses[0]
        rule = make_config(admin, team, [item(theory)], certificate=False)
        for n, person in enumerate(team):
            complete(admin, person, theory, START + (n + 1) * DAY)
        assert Certificate.objects.count() == 0

        switched = START + 10 * DAY
        change_config(admin, rule, switched, certificate=True)
        assert Certificate.objects.count() == 2  # the save issues a first few at once
        summary = rule_summary(tenant_id=rule.tenant_id, rule_id=rule.pk, now=switched)
        assert (summary.valid, summary.queued_at, summary.issued_since_queued) == (2, switched, 2)

        # One tick issues batch after batch (each its own transaction) until none is left.
        tick(switched + dt.timedelta(minutes=1))
        assert Certificate.objects.count() == 5
        assert not CertificateBacklog.objects.exists()
        assert rule_summary(tenant_id=rule.tenant_id, rule_id=rule.pk).queued_at is None
        assert all(len(certificates_of(p)) == 1 for p in team)
        assert Notification.objects.filter(kind="certificate_issued").count() == 5

    def test_a_tick_out_of_time_leaves_the_rest_for_the_next(self, admin, team, courses, monkeypatch):
        monkeypatch.setattr(limits, "INLINE_ISSUE_LIMIT", 0)
        theory = courses[0]
        rule = make_config(admin, team, [item(theory)], certificate=False)
        for person in team:
            complete(admin, person, theory, START + DAY)
        change_config(admin, rule, START + 2 * DAY, certificate=True)
        assert Certificate.objects.count() == 0 and CertificateBacklog.objects.count() == 1

        assert certificates_sweep(now=START + 3 * DAY, batch=2, budget_seconds=0.0) == 0
        certificates_sweep(now=START + 3 * DAY, batch=2)
        assert Certificate.objects.count() == 5 and not CertificateBacklog.objects.exists()


class TestRepair:
    def test_repairs_what_an_event_missed(self, admin, team, courses):
        theory, practice, _ = courses
        rule = make_config(admin, team, [item(theory), item(practice)])
        complete(admin, team[0], theory, START + DAY)
        complete(admin, team[0], practice, START + DAY)
        cert = live(team[0], rule)
        # Behind the services' back: the practice completion vanishes, and someone completes silently.
        Assignment.objects.filter(pk=assignment_of(team[0], practice).pk).update(completed_at=None)
        for obj in (theory, practice):
            Assignment.objects.filter(pk=assignment_of(team[1], obj).pk).update(completed_at=START, progress=100)

        assert certificates_repair(now=START + 2 * DAY) == 2
        cert.refresh_from_db()
        assert cert.invalid_reason == "expired"
        assert live(team[1], rule) is not None
        assert certificates_repair(now=START + 2 * DAY) == 0

    def test_prunes_the_verification_pages_old_rate_limit_buckets(self):
        now = START + 2 * DAY
        for minutes_ago in (0, 5, 11, 60 * 24):
            count_verify_request("203.0.113.5", now=now - dt.timedelta(minutes=minutes_ago))
        assert count_verify_request("203.0.113.5", now=now) == 2  # the same minute counts on
        certificates_repair(now=now)
        kept = sorted(VerifyRateBucket.objects.values_list("window_start", flat=True))
        assert kept == [now - dt.timedelta(minutes=5), now]
