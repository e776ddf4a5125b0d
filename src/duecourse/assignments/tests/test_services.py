"""Assignment services against a real database: sources, due dates, completion, progress, withdraw."""

import datetime as dt

import pytest
import time_machine

from duecourse.assignments import progress, selectors, services
from duecourse.assignments.inputs import AssignmentChange, AssignmentInput, BulkAssignInput
from duecourse.assignments.models import Assignment, AssignmentSource, Completion
from duecourse.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from duecourse.core.models import AuditEvent
from duecourse.testing.factories import (
    assign,
    make_course,
    make_equivalence,
    make_path,
    make_skill,
    org_unit,
    target,
)
from duecourse.testing.scheduling import frozen_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
frozen = frozen_at(NOW)


def status_of(assignment) -> str:
    return selectors.access_assignment(actor=assignment.person, assignment_id=assignment.pk).status


def record(admin, person, course, **fields):
    return progress.progress_record(actor=admin, person_id=person.pk, course_id=course.pk, **fields)


class TestCreate:
    def test_created_flag_and_one_open_row(self, admin, learner, tenant):
        course = make_course(tenant)
        first, created = services.assignment_create(
            actor=admin, data=AssignmentInput.model_validate({"person_id": learner.pk, "target": target(course)})
        )
        again, created_again = services.assignment_create(
            actor=admin, data=AssignmentInput.model_validate({"person_id": learner.pk, "target": target(course)})
        )
        assert (created, created_again) == (True, False)
        assert first.pk == again.pk
        assert AssignmentSource.objects.filter(assignment=first).count() == 1  # same source is not doubled

    def test_due_in_days_counts_from_today(self, admin, learner, tenant):
        a = assign(admin, learner, make_course(tenant), due_in_days=10)
        assert a.due_date == dt.date(2026, 6, 25)
        assert a.due_at == dt.datetime(2026, 6, 26, tzinfo=dt.UTC)

    def test_estimated_minutes_of_a_path_are_its_required_courses(self, admin, learner, tenant):
        path = make_path(
            tenant,
            [
                (make_course(tenant, minutes=30), True),
                (make_course(tenant, minutes=15), True),
                (make_course(tenant, minutes=99), False),
            ],
        )
        assert assign(admin, learner, path).estimated_minutes == 45

    def test_hr_cannot_assign(self, tenant, make_person, learner):
        hr = make_person(tenant, roles=("hr",))
        with pytest.raises(PermissionDenied):
            assign(hr, learner, make_course(tenant))

    def test_operation_records_what_it_created(self, admin, tenant, make_person):
        people = [make_person(tenant) for _ in range(3)]
        result = services.bulk_assign(
            actor=admin,
            data=BulkAssignInput.model_validate(
                {"targets": [target(make_course(tenant))], "assignees": {"person_ids": [p.pk for p in people]}}
            ),
        )
        assert result.created == 3 and result.operation_id
        assert Assignment.objects.filter(operation_id=result.operation_id).count() == 3


class TestPriorCompletions:
    def test_a_valid_prior_completion_satisfies_a_new_assignment_at_once(self, admin, learner, tenant):
        course = make_course(tenant)
        record(admin, learner, course, completed_at=NOW - dt.timedelta(days=200))
        a = assign(admin, learner, course)
        a.refresh_from_db()
        assert a.completed_at == NOW - dt.timedelta(days=200)
        assert a.progress == 100
        assert status_of(a) == "completed"

    def test_an_expired_prior_completion_does_not(self, admin, learner, tenant):
        course = make_course(tenant)
        record(admin, learner, course, completed_at=NOW - dt.timedelta(days=400))
        a = assign(admin, learner, course, validity_months=12)
        a.refresh_from_db()
        assert a.completed_at is None
        assert (a.progress, status_of(a)) == (0, "assigned")

    def test_a_recent_one_within_validity_does_and_sets_expiry(self, admin, learner, tenant):
        course = make_course(tenant)
        done = dt.datetime(2026, 1, 31, 10, tzinfo=dt.UTC)
        record(admin, learner, course, completed_at=done)
        a = assign(admin, learner, course, validity_months=12)
        a.refresh_from_db()
        assert a.completed_at == done
        assert a.expires_at == dt.datetime(2027, 1, 31, 10, tzinfo=dt.UTC)
        assert status_of(a) == "completed"

    def test_validity_clamps_at_month_end(self, admin, learner, tenant):
        course = make_course(tenant)
        record(admin, learner, course, completed_at=dt.datetime(2026, 5, 31, tzinfo=dt.UTC))
        a = assign(admin, learner, course, validity_months=1)
        a.refresh_from_db()
        assert a.expires_at == dt.datetime(2026, 6, 30, tzinfo=dt.UTC)

    def test_prior_completion_through_an_equivalence_and_in_bulk(self, admin, tenant, make_person):
        old, new = make_course(tenant), make_course(tenant)
        make_equivalence(tenant, old, new)
        veteran, rookie = make_person(tenant), make_person(tenant)
        record(admin, veteran, old, progress=100)
        services.bulk_assign(
            actor=admin,
            data=BulkAssignInput.model_validate(
                {"targets": [target(new)], "assignees": {"person_ids": [veteran.pk, rookie.pk]}}
            ),
        )
        statuses = {a.person_id: status_of(a) for a in Assignment.objects.select_related("person")}
        assert statuses == {veteran.pk: "completed", rookie.pk: "assigned"}


class TestCompletionAndProgress:
    def test_progress_then_completion_of_a_course(self, admin, learner, tenant):
        course = make_course(tenant)
        a = assign(admin, learner, course, due_date="2026-07-01")
        out = record(admin, learner, course, progress=35)
        assert out["assignments_updated"] == 1
        a.refresh_from_db()
        assert (a.progress, status_of(a)) == (35, "in_progress")
        out = record(admin, learner, course, progress=100, score=0.9)
        a.refresh_from_db()
        assert (a.progress, status_of(a), a.completed_at) == (100, "completed", NOW)
        completion = Completion.objects.get()
        assert (completion.score, completion.origin) == (0.9, "api")
        assert AuditEvent.objects.filter(action="completion.record").count() == 1

    def test_completed_at_marks_completion_and_future_is_refused(self, admin, learner, tenant):
        course = make_course(tenant)
        a = assign(admin, learner, course)
        with pytest.raises(ValidationFailed) as exc:
            record(admin, learner, course, completed_at=NOW + dt.timedelta(days=1))
        assert exc.value.errors[0].field == "completed_at"
        record(admin, learner, course, completed_at=NOW - dt.timedelta(hours=2))
        a.refresh_from_db()
        assert a.completed_at == NOW - dt.timedelta(hours=2)

    def test_path_completes_when_all_required_courses_do_and_optional_ones_do_not_matter(self, admin, learner, tenant):
        c1, c2, optional = make_course(tenant), make_course(tenant), make_course(tenant)
        path = make_path(tenant, [(c1, True), (optional, False), (c2, True)])
        a = assign(admin, learner, path)
        record(admin, learner, c1, progress=100)
        a.refresh_from_db()
        assert (a.progress, status_of(a)) == (50, "in_progress")
        record(admin, learner, c2, progress=50)
        a.refresh_from_db()
        assert a.progress == 75
        record(admin, learner, c2, progress=100)
        a.refresh_from_db()
        assert (a.progress, status_of(a)) == (100, "completed")
        assert not Completion.objects.filter(course=optional).exists()

    def test_skill_completes_from_its_courses(self, admin, learner, tenant):
        c1, c2 = make_course(tenant), make_course(tenant)
        a = assign(admin, learner, make_skill(tenant, [c1, c2]))
        record(admin, learner, c2, progress=100)
        a.refresh_from_db()
        assert status_of(a) == "in_progress"
        record(admin, learner, c1, completed_at=NOW)
        a.refresh_from_db()
        assert status_of(a) == "completed"

    def test_equivalent_course_counts_for_a_course_and_inside_a_path(self, admin, learner, tenant):
        legacy, current, other = make_course(tenant), make_course(tenant), make_course(tenant)
        make_equivalence(tenant, legacy, current)
        course_assignment = assign(admin, learner, current)
        path_assignment = assign(admin, learner, make_path(tenant, [(current, True), (other, True)]))
        record(admin, learner, legacy, progress=100)
        course_assignment.refresh_from_db()
        path_assignment.refresh_from_db()
        assert status_of(course_assignment) == "completed"
        assert path_assignment.progress == 50

    def test_equivalence_is_one_way(self, admin, learner, tenant):
        legacy, current = make_course(tenant), make_course(tenant)
        make_equivalence(tenant, legacy, current)
        a = assign(admin, learner, legacy)
        record(admin, learner, current, progress=100)
        assert status_of(a) == "assigned"

    def test_completion_expires_after_validity(self, admin, learner, tenant):
        course = make_course(tenant)
        a = assign(admin, learner, course, validity_months=6)
        record(admin, learner, course, progress=100)
        a.refresh_from_db()
        assert a.expires_at == dt.datetime(2026, 12, 15, 9, tzinfo=dt.UTC)
        with time_machine.travel(dt.datetime(2026, 12, 16, tzinfo=dt.UTC), tick=False):
            assert status_of(a) == "expired"
            # Retaking it completes it again.
            record(admin, learner, course, progress=100)
            assert status_of(a) == "completed"

    def test_progress_intake_by_email_and_code_and_errors(self, admin, learner, tenant, other_tenant, make_person):
        course = make_course(tenant, code="FIRE")
        out = progress.progress_record(actor=admin, email=learner.email.upper(), course_code="FIRE", progress=20)
        assert out["progress"] == 20
        foreign = make_person(other_tenant)
        with pytest.raises(NotFound) as exc:  # another tenant's person is as unknown as a missing one
            progress.progress_record(actor=admin, person_id=foreign.pk, course_id=course.pk, progress=10)
        assert exc.value.errors[0].field == "person_id"
        with pytest.raises(NotFound) as exc:
            progress.progress_record(actor=admin, person_id=learner.pk, course_code="NOPE", progress=10)
        assert exc.value.errors[0].field == "course_code"

    def test_learner_cannot_report_progress(self, learner, tenant):
        with pytest.raises(PermissionDenied):
            progress.progress_record(
                actor=learner, person_id=learner.pk, course_id=make_course(tenant).pk, progress=100
            )


class TestWithdraw:
    def test_group_source_survives_an_individual_withdrawal(self, admin, tenant, make_person):
        from duecourse.groups.models import Group, GroupMember

        learner = make_person(tenant)
        group = Group.objects.create(tenant=tenant, name="Drivers", kind="static")
        GroupMember.objects.create(tenant=tenant, group=group, person=learner)
        course = make_course(tenant)
        a = assign(admin, learner, course, due_date="2026-07-01")
        services.bulk_assign(
            actor=admin,
            data=BulkAssignInput.model_validate(
                {"targets": [target(course)], "assignees": {"group_ids": [group.pk]}, "due_date": "2026-09-01"}
            ),
        )
        a.refresh_from_db()
        assert a.due_date == dt.date(2026, 7, 1)
        services.assignment_withdraw(actor=admin, assignment=a)
        a.refresh_from_db()
        assert a.withdrawn_at is None
        assert list(a.sources.values_list("label", flat=True)) == ["Group: Drivers"]
        assert a.due_date == dt.date(2026, 9, 1)

    def test_completed_is_a_conflict(self, admin, learner, tenant):
        course = make_course(tenant)
        a = assign(admin, learner, course)
        record(admin, learner, course, progress=100)
        with pytest.raises(Conflict):
            services.assignment_withdraw(actor=admin, assignment=a)

    def test_a_withdrawn_assignment_has_no_sources(self, admin, learner, tenant):
        a = assign(admin, learner, make_course(tenant))
        services.assignment_withdraw(actor=admin, assignment=a, reason="r")
        a.refresh_from_db()
        assert a.withdrawn_at is not None and not a.sources.exists()

    def test_update_of_a_withdrawn_one_is_a_conflict(self, admin, learner, tenant):
        a = assign(admin, learner, make_course(tenant))
        services.assignment_withdraw(actor=admin, assignment=a)
        with pytest.raises(Conflict):  # even when the caller still holds the object as it was
            services.assignment_update(
                actor=admin, assignment=a, data=AssignmentChange.model_validate({"priority": "low"})
            )


class TestBulkService:
    def test_department_site_region_audiences(self, admin, tenant, make_person):
        leeds, north = org_unit(tenant, "site", "Leeds"), org_unit(tenant, "region", "North")
        a = make_person(tenant, site=leeds)
        b = make_person(tenant, region=north)
        make_person(tenant)
        result = services.bulk_assign(
            actor=admin,
            data=BulkAssignInput.model_validate(
                {"targets": [target(make_course(tenant))], "assignees": {"sites": ["Leeds"], "regions": ["North"]}}
            ),
        )
        assert result.created == 2
        labels = dict(AssignmentSource.objects.values_list("assignment__person_id", "label"))
        assert labels == {a.pk: "Site: Leeds", b.pk: "Region: North"}

    def test_manager_everyone_means_their_reports(self, tenant, make_person):
        manager = make_person(tenant)
        reports = {make_person(tenant, manager=manager).pk for _ in range(2)}
        make_person(tenant)
        result = services.bulk_assign(
            actor=manager,
            data=BulkAssignInput.model_validate(
                {"targets": [target(make_course(tenant))], "assignees": {"everyone": True}}
            ),
        )
        assert result.created == 2
        assert set(Assignment.objects.values_list("person_id", flat=True)) == reports

    def test_hire_date_relative_due_dates_per_person(self, admin, tenant, make_person):
        early = make_person(tenant, hire_date=dt.date(2026, 6, 1))
        none = make_person(tenant)
        course = make_course(tenant)
        from duecourse.assignments.fanout import DueSpec  # noqa: F401 (documented relative timing)

        services.bulk_assign(
            actor=admin,
            data=BulkAssignInput.model_validate(
                {"targets": [target(course)], "assignees": {"person_ids": [early.pk, none.pk]}, "due_in_days": 30}
            ),
        )
        dates = dict(Assignment.objects.values_list("person_id", "due_date"))
        assert dates == {early.pk: dt.date(2026, 7, 15), none.pk: dt.date(2026, 7, 15)}

    def test_unknown_target_is_404(self, admin, learner):
        with pytest.raises(NotFound):
            services.bulk_assign(
                actor=admin,
                data=BulkAssignInput.model_validate(
                    {"targets": [{"type": "course", "id": 424242}], "assignees": {"everyone": True}}
                ),
            )
