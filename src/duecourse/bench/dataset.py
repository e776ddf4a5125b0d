"""A synthetic tenant built with set-based SQL: people with managers, org units, a group, courses, paths,
about ten assignments per person (some overdue, some completed). PostgreSQL and SQLite."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from duecourse.catalog.models import Course, LearningPath, PathItem
from duecourse.core.models import Tenant
from duecourse.groups.models import Group
from duecourse.people.models import OrgUnit, Person

DEPARTMENTS = [f"Department {i:02d}" for i in range(20)]
SITES = [f"Site {i:02d}" for i in range(10)]
REGIONS = ["EMEA", "Americas", "APAC"]
COURSES = 20
ASSIGNED_COURSES = 10
REPORTS_PER_MANAGER = 20


@dataclass
class Dataset:
    tenant_id: int
    admin_id: int
    people: int
    group_id: int
    course_ids: list[int]
    spare_course_id: int
    learner_id: int
    manager_id: int
    base_person_id: int


def _numbers(n: int) -> str:
    if connection.vendor == "postgresql":
        return f"SELECT generate_series(1, {int(n)}) AS i"
    return f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {int(n)}) SELECT i FROM seq"


def _day_plus(column: str, days_sql: str) -> str:
    if connection.vendor == "postgresql":
        return f"(CAST({column} AS date) + ({days_sql})::int)"
    return f"date({column}, printf('%%+d days', {days_sql}))"


def _end_of_day(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column} + 1)::timestamp AT TIME ZONE 'UTC')"
    return f"datetime({column}, '+1 day')"


def build(*, people: int, name: str, now: dt.datetime, progress=lambda msg: None) -> Dataset:
    """Create the tenant; every statement is set-based so 100,000 people take seconds, not minutes."""
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name, settings={"overload_minutes_30d": 600})
        t = tenant.pk
        units = {}
        for kind, names in (("department", DEPARTMENTS), ("site", SITES), ("region", REGIONS)):
            OrgUnit.objects.bulk_create([OrgUnit(tenant_id=t, kind=kind, name=n) for n in names])
            units[kind] = min(OrgUnit.objects.filter(tenant_id=t, kind=kind).values_list("id", flat=True))
        admin = Person.objects.create(tenant_id=t, email="admin@bench.test", name="Bench Admin", is_admin=True)
        progress(f"people: {people}")
        hire = "'2020-01-01'"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO person (tenant_id, email, name, external_id, job_title, hire_date, timezone, locale, active,
                                    is_admin, is_instructor, is_hr, created_at, updated_at, department_id, site_id,
                                    region_id)
                SELECT %s, 'p' || i || '@bench.test', 'Person ' || i, 'E' || i, 'Staff', {_day_plus(hire, "i %% 2000")},
                       'UTC', 'en', true, false, false, false, %s, %s,
                       {units["department"]} + (i %% {len(DEPARTMENTS)}), {units["site"]} + (i %% {len(SITES)}),
                       {units["region"]} + (i %% {len(REGIONS)})
                FROM ({_numbers(people)}) AS numbers
                """,
                [t, now, now],
            )
            base = (
                Person.objects.filter(tenant_id=t).exclude(pk=admin.pk).order_by("pk").values_list("pk", flat=True)[0]
            )
            # Person k (k = id - base) reports to person k // 20: a tree 20 wide.
            cursor.execute(
                f"UPDATE person SET manager_id = {base} + ((id - {base}) / {REPORTS_PER_MANAGER}) - 1 "
                f"WHERE tenant_id = %s AND id >= {base} + {REPORTS_PER_MANAGER}",
                [t],
            )
            group = Group.objects.create(tenant_id=t, name="Everyone (bench)", kind=Group.STATIC)
            cursor.execute(
                "INSERT INTO group_member (tenant_id, group_id, person_id) SELECT tenant_id, %s, id FROM person "
                "WHERE tenant_id = %s AND id <> %s",
                [group.pk, t, admin.pk],
            )
            Course.objects.bulk_create(
                [
                    Course(
                        tenant_id=t,
                        code=f"C{i:03d}",
                        title=f"Course {i}",
                        status="active",
                        estimated_minutes=30,
                        launch_url=f"https://lms.bench.test/course/{i}",
                    )
                    for i in range(COURSES + 1)
                ]
            )
            course_ids = sorted(Course.objects.filter(tenant_id=t).values_list("pk", flat=True))
            path = LearningPath.objects.create(tenant_id=t, title="Onboarding", status="active")
            PathItem.objects.bulk_create(
                [
                    PathItem(tenant_id=t, path=path, course_id=c, position=i, required=True)
                    for i, c in enumerate(course_ids[:3])
                ]
            )
            progress(f"assignments: {people * ASSIGNED_COURSES}")
            today = f"'{now.date().isoformat()}'"
            for course_id in course_ids[:ASSIGNED_COURSES]:
                due = _day_plus(today, f"(id + {course_id}) %% 120 - 40")
                cursor.execute(
                    f"""
                    INSERT INTO assignment (tenant_id, person_id, target_type, target_id, priority, due_date, due_at,
                        due_date_manual, due_explanation, note, reason, visibility, cycle, progress, estimated_minutes,
                        withdrawn_reason, compliance_flag, assigned_at, completed_at)
                    SELECT tenant_id, id, 'course', %s, 'medium', {due}, {_end_of_day(due)}, false, '', '', '',
                        'required',
                        1, CASE WHEN (id + {course_id}) %% 5 < 2 THEN 100 ELSE 0 END, 30, '', false, %s,
                        CASE WHEN (id + {course_id}) %% 5 < 2 THEN %s ELSE NULL END
                    FROM person WHERE tenant_id = %s AND id <> %s
                    """,
                    [course_id, now, now, t, admin.pk],
                )
            cursor.execute(
                "INSERT INTO assignment_source (tenant_id, assignment_id, kind, ref_id, label, due_date, due_rule, "
                "priority, note, created_at) SELECT tenant_id, id, 'group', %s, 'Group: Everyone (bench)', due_date, "
                "'fixed date', 'medium', '', assigned_at FROM assignment WHERE tenant_id = %s",
                [group.pk, t],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    manager_id = base  # person #0 manages the next 20
    return Dataset(
        tenant_id=t,
        admin_id=admin.pk,
        people=people,
        group_id=group.pk,
        course_ids=course_ids[:ASSIGNED_COURSES],
        spare_course_id=course_ids[-1],
        learner_id=base + people - 1,
        manager_id=manager_id,
        base_person_id=base,
    )
