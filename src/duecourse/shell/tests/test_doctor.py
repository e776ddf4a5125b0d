"""`duecourse doctor`: clean on a database the services made; each corruption made by hand is named, exit 1."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, connections, models, transaction

from duecourse.assignments.models import Assignment, AssignmentSource, Completion
from duecourse.config.cli import CONTRACT_COMMANDS, main
from duecourse.groups.models import GroupMember
from duecourse.notifications.models import Notification, ReminderSchedule
from duecourse.shell import doctor
from duecourse.testing.factories import assign, make_course, target

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """Django closes every connection when a command ends: that would end the test's transaction."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


def run_doctor(capsys) -> tuple[int, str, str]:
    """`duecourse doctor` through the CLI's entry point: (exit status, stdout, stderr)."""
    try:
        main(["doctor"])
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines(out: str) -> dict[str, str]:
    return {line.split(":", 1)[0]: line for line in out.splitlines() if ":" in line}


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


@pytest.fixture
def world(tenant, admin, admin_api, make_person):
    """A small organisation made through the services: a manager assigns a course by hand (individual
    source), a static group's training configuration assigns another (rule source), progress completes one."""
    manager = make_person(tenant, roles=("instructor",), name="Manny Manager", email="manny@acme.test")
    crew = [make_person(tenant, name=f"Crew {i}", email=f"crew{i}@acme.test", manager=manager) for i in range(3)]
    first_aid, driving = make_course(tenant, title="First aid"), make_course(tenant, title="Driving")
    group = admin_api.post("groups", {"name": "Crew", "kind": "static", "member_ids": [p.pk for p in crew]})
    assert group.status_code == 201, group.content
    rule = admin_api.post(
        "rules",
        {
            "name": "Crew driving",
            "audience": {"group_ids": [group.json()["id"]]},
            "items": [{"target": target(driving)}],
        },
    )
    assert rule.status_code == 201, rule.content
    by_hand = [assign(manager, person, first_aid, due_date="2099-01-31") for person in crew]
    done = admin_api.post("progress", {"person_id": crew[2].pk, "course_id": first_aid.pk, "progress": 100})
    assert done.status_code == 200, done.content
    return {"manager": manager, "crew": crew, "by_hand": by_hand, "first_aid": first_aid}


def test_doctor_is_a_contract_command():
    assert "doctor" in CONTRACT_COMMANDS


def test_clean_on_a_database_the_services_made(world, capsys):
    # The world has every kind of row the checks read.
    assert AssignmentSource.objects.filter(kind="individual").exists()
    assert AssignmentSource.objects.filter(kind="rule").exists()
    assert Notification.objects.exists() and ReminderSchedule.objects.exists() and GroupMember.objects.exists()
    assert Completion.objects.exists()
    code, out, err = run_doctor(capsys)
    assert code == 0, out + err
    assert lines(out).keys() >= {check.__name__ for check in doctor.CHECKS}
    assert all(line.endswith(": ok") for line in lines(out).values())
    assert f"All {len(doctor.CHECKS)} checks passed." in out


def test_a_deleted_person_leaves_orphaned_sources_and_notifications(world, capsys):
    manager = world["manager"]
    assert AssignmentSource.objects.filter(assigned_by_id=manager.pk).exists()
    notified = world["crew"][0]
    assert Notification.objects.filter(person_id=notified.pk).exists()
    # The database's own foreign keys are checked at COMMIT (and by the test's teardown on SQLite): the
    # corruption is undone before either.
    with transaction.atomic():
        execute("DELETE FROM person WHERE id IN (%s, %s)", [manager.pk, notified.pk])
        code, out, err = run_doctor(capsys)
        transaction.set_rollback(True)

    assert code == 1
    found = lines(out)
    assert found["sources_orphaned"].startswith("sources_orphaned: ") and "wrong" in found["sources_orphaned"]
    assert "assignment_source.assigned_by_id #" in found["sources_orphaned"]
    assert "assignment_source.ref_id #" in found["sources_orphaned"]  # the manager's individual sources
    assert "notification.person_id #" in found["notifications_orphaned"]
    assert "person.manager_id #" in found["other_references_orphaned"]  # the crew's manager is gone too
    assert "sources_orphaned" in err and "notifications_orphaned" in err
    assert found["reminders_orphaned"].endswith(": ok")


def test_an_open_assignment_without_sources(world, capsys):
    item = world["by_hand"][0]
    execute("DELETE FROM assignment_source WHERE assignment_id = %s", [item.pk])

    code, out, err = run_doctor(capsys)

    assert code == 1
    assert f"assignment #{item.pk}" in lines(out)["open_assignments_without_source"]
    assert "open_assignments_without_source" in err
    assert lines(out)["withdrawn_assignments_with_sources"].endswith(": ok")


def test_a_withdrawn_assignment_with_sources(world, capsys):
    item = world["by_hand"][1]
    execute("UPDATE assignment SET withdrawn_at = assigned_at WHERE id = %s", [item.pk])

    code, out, _ = run_doctor(capsys)

    assert code == 1
    assert f"assignment #{item.pk}" in lines(out)["withdrawn_assignments_with_sources"]


def test_a_second_open_assignment_is_refused_by_the_database_and_found_without_its_index(world, capsys):
    item = world["by_hand"][0]
    columns = [f.column for f in Assignment._meta.concrete_fields if not isinstance(f, models.AutoField)]
    copy = (
        f"INSERT INTO assignment ({', '.join(columns)}) SELECT {', '.join(columns)} FROM assignment "  # noqa: S608
        "WHERE id = %s"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        execute(copy, [item.pk])
    # Without the index (a restore that lost it, say) the check still finds them.
    execute("DROP INDEX assignment_one_open_per_target")
    execute(copy, [item.pk])

    code, out, _ = run_doctor(capsys)

    assert code == 1
    line = lines(out)["open_assignments_duplicated"]
    assert line.startswith("open_assignments_duplicated: 1 wrong") and "assignment #" in line


def test_a_row_of_a_missing_tenant(world, capsys):
    source = AssignmentSource.objects.filter(kind="rule").first()
    execute("UPDATE assignment_source SET tenant_id = %s WHERE id = %s", [987654321, source.pk])
    execute("UPDATE group_member SET tenant_id = %s WHERE id = %s", [987654321, GroupMember.objects.first().pk])

    code, out, err = run_doctor(capsys)

    assert code == 1
    line = lines(out)["rows_without_tenant"]
    assert line.startswith("rows_without_tenant: 2 wrong") and f"assignment_source #{source.pk}" in line
    assert "rows_without_tenant" in err
    # The moved source now also points at an assignment of another tenant.
    assert f"assignment_source.assignment_id #{source.pk}" in lines(out)["rows_of_another_tenant"]


def test_a_reference_into_another_tenant(world, other_tenant, make_person, capsys):
    stranger = make_person(other_tenant, name="Stranger")
    item = world["by_hand"][2]
    execute("UPDATE notification SET about_id = %s WHERE id = (SELECT MIN(id) FROM notification)", [stranger.pk])
    execute("UPDATE assignment_source SET ref_id = %s WHERE assignment_id = %s", [stranger.pk, item.pk])

    code, out, _ = run_doctor(capsys)

    assert code == 1
    line = lines(out)["rows_of_another_tenant"]
    assert "notification.about_id #" in line and "assignment_source.ref_id #" in line


def test_a_missing_target_and_a_late_reminder(world, capsys):
    item = world["by_hand"][0]
    execute("UPDATE assignment SET target_id = %s WHERE id = %s", [987654321, item.pk])
    execute(
        "UPDATE reminder_schedule SET remind_at = %s WHERE id = (SELECT MIN(id) FROM reminder_schedule)",
        [dt.datetime(2000, 1, 1, tzinfo=dt.UTC)],
    )

    code, out, _ = run_doctor(capsys)

    assert code == 1
    assert f"assignment.target_id #{item.pk}" in lines(out)["assignment_targets_missing"]
    assert "reminder_schedule #" in lines(out)["reminders_late"]


def test_every_unchecked_foreign_key_is_checked_by_some_check():
    covered = {
        (ref.table, ref.column)
        for ref in (
            *doctor.source_references(),
            *doctor.notification_references(),
            *doctor.reminder_references(),
            *doctor.other_references(),
        )
    }
    assert {(ref.table, ref.column) for ref in doctor.unchecked_foreign_keys()} <= covered
    assert ("person", "manager_id") in covered and ("certificate", "rule_id") in covered
    assert "assignment" in doctor.tenant_scoped_tables() and "tenant" not in doctor.tenant_scoped_tables()
