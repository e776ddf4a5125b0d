"""True history: the daily compliance snapshot (once per tenant and day, however many workers) and the trend."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from duecourse.assignments import progress
from duecourse.assignments.models import Assignment
from duecourse.reports import snapshots
from duecourse.reports.models import ComplianceSnapshot, ComplianceSnapshotDay
from duecourse.reports.selectors import DIMENSIONS, compliance_rows
from duecourse.testing.factories import assign, make_course, org_unit
from duecourse.testing.scheduling import tick

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def sales(admin, tenant, make_person):
    """Sales has three people with course A due on 10 June: none done yet."""
    department = org_unit(tenant, "department", "Sales")
    people = [make_person(tenant, name=f"Seller {i}", department=department) for i in range(3)]
    course = make_course(tenant, title="Course A")
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        for person in people:
            assign(admin, person, course, due_date="2026-06-10")
    return {"department": department, "people": people, "course": course}


def complete(admin, sales, i):
    progress.progress_record(actor=admin, person_id=sales["people"][i].pk, course_id=sales["course"].pk, progress=100)


def stored(tenant, day, dimension="department"):
    return {
        (key, required_due, completed, exempt)
        for key, required_due, completed, exempt in ComplianceSnapshot.objects.filter(
            tenant=tenant, day=day, dimension=dimension
        ).values_list("key", "required_due", "completed", "exempt")
    }


class TestWrite:
    def test_every_dimension_as_the_live_report_counts_it(self, admin, tenant, sales):
        with time_machine.travel(MONDAY, tick=False):
            complete(admin, sales, 0)
            written = snapshots.compliance_snapshot_write(tenant.pk, MONDAY.date(), MONDAY)
            live = {by: set(compliance_rows(tenant_id=tenant.pk, by=by, now=MONDAY)) for by in DIMENSIONS}
        rows = ComplianceSnapshot.objects.filter(tenant=tenant, day=MONDAY.date())
        assert written == rows.count() == sum(len(r) for r in live.values())
        for by in DIMENSIONS:  # course and rule keys are named after the GROUP BY: compare them by id
            columns = ("key_id", "required_due", "completed", "exempt")
            assert set(rows.filter(dimension=by).values_list(*columns)) == {(r[0], *r[2:]) for r in live[by]}
        assert stored(tenant, MONDAY.date()) == {("Sales", 3, 1, 0)}
        assert stored(tenant, MONDAY.date(), "course") == {("Course A", 3, 1, 0)}

    def test_a_day_is_written_once_and_replace_rewrites_it(self, admin, tenant, sales):
        day = MONDAY.date()
        with time_machine.travel(MONDAY, tick=False):
            assert snapshots.compliance_snapshot_write(tenant.pk, day, MONDAY) > 0
            complete(admin, sales, 0)
            assert snapshots.compliance_snapshot_write(tenant.pk, day, MONDAY) == 0
            assert stored(tenant, day) == {("Sales", 3, 0, 0)}  # the first write stands
            assert snapshots.compliance_snapshot_write(tenant.pk, day, MONDAY, replace=True) > 0
        assert stored(tenant, day) == {("Sales", 3, 1, 0)}
        assert ComplianceSnapshotDay.objects.filter(tenant=tenant, day=day).count() == 1

    def test_a_crash_midway_writes_nothing_and_the_next_run_writes_the_day(self, tenant, sales, monkeypatch):
        real = snapshots.insert_select_ignore_conflicts
        calls = []

        def failing(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("killed")
            return real(*args, **kwargs)

        monkeypatch.setattr(snapshots, "insert_select_ignore_conflicts", failing)
        with pytest.raises(RuntimeError):
            snapshots.compliance_snapshot_write(tenant.pk, MONDAY.date(), MONDAY)
        assert not ComplianceSnapshot.objects.exists() and not ComplianceSnapshotDay.objects.exists()
        monkeypatch.setattr(snapshots, "insert_select_ignore_conflicts", real)
        assert snapshots.compliance_snapshot_write(tenant.pk, MONDAY.date(), MONDAY) > 0
        assert set(ComplianceSnapshot.objects.values_list("dimension", flat=True)) == {
            "department",
            "site",
            "region",
            "course",
        }

    def test_other_tenants_are_apart(self, tenant, other_tenant, make_person, admin, sales):
        theirs = make_person(other_tenant, department=org_unit(other_tenant, "department", "Sales"))
        their_admin = make_person(other_tenant, roles=("admin",))
        with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
            assign(their_admin, theirs, make_course(other_tenant), due_date="2026-06-01")
        snapshots.compliance_snapshot_write(tenant.pk, MONDAY.date(), MONDAY)
        snapshots.compliance_snapshot_write(other_tenant.pk, MONDAY.date(), MONDAY)
        assert stored(tenant, MONDAY.date()) == {("Sales", 3, 0, 0)}
        assert stored(other_tenant, MONDAY.date()) == {("Sales", 1, 0, 0)}


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers on one file lock: there is no race"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_write_the_day_once(tenant, sales):
    barrier = threading.Barrier(4)

    def run(_):
        try:
            barrier.wait(timeout=10)
            return snapshots.compliance_snapshot_write(tenant.pk, MONDAY.date(), MONDAY)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        written = sorted(pool.map(run, range(4)))
    assert written[:3] == [0, 0, 0] and written[3] > 0
    assert ComplianceSnapshot.objects.count() == written[3]
    assert ComplianceSnapshotDay.objects.count() == 1


class TestWorker:
    def test_the_first_tick_of_the_tenants_day_writes_it_once(self, tenant, sales):
        tenant.settings = {"timezone": "Pacific/Auckland"}  # UTC+12 in June
        tenant.save()
        tick(dt.datetime(2026, 6, 14, 11, 55, tzinfo=dt.UTC))  # 23:55 on Sunday the 14th in Auckland
        assert list(ComplianceSnapshotDay.objects.values_list("day", flat=True)) == [dt.date(2026, 6, 14)]
        tick(dt.datetime(2026, 6, 14, 12, 10, tzinfo=dt.UTC))  # 00:10 on Monday the 15th there
        tick(dt.datetime(2026, 6, 14, 12, 30, tzinfo=dt.UTC))
        tick(dt.datetime(2026, 6, 14, 23, 50, tzinfo=dt.UTC))
        days = sorted(ComplianceSnapshotDay.objects.values_list("day", flat=True))
        assert days == [dt.date(2026, 6, 14), dt.date(2026, 6, 15)]
        assert stored(tenant, dt.date(2026, 6, 15)) == {("Sales", 3, 0, 0)}

    def test_an_idle_check_is_two_queries(self, tenant, sales):
        snapshots.compliance_snapshots_take(now=MONDAY)
        with CaptureQueriesContext(connection) as queries:
            assert snapshots.compliance_snapshots_take(now=MONDAY + dt.timedelta(hours=1)) == 0
        assert len(queries) == 2


class TestCommand:
    def test_writes_a_day_and_keeps_it(self, tenant, sales, capsys):
        call_command("snapshot_compliance", "--tenant", "Acme", "--day", "2026-06-01")
        call_command("snapshot_compliance", "--tenant", "Acme", "--day", "2026-06-01")
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("Acme: 2026-06-01: ") and out[0].endswith(" rows")
        assert out[1] == "Acme: 2026-06-01: already written (--replace rewrites it)"
        assert ComplianceSnapshotDay.objects.get().day == dt.date(2026, 6, 1)

    @pytest.mark.parametrize(
        ("args", "message"),
        [(["--day", "June"], "--day: 'June' is not a date"), (["--tenant", "Nobody"], "--tenant: no tenant named")],
    )
    def test_bad_arguments_change_nothing(self, tenant, args, message):
        with pytest.raises(CommandError, match=message):
            call_command("snapshot_compliance", *args)
        assert not ComplianceSnapshotDay.objects.exists()


class TestTrend:
    """`week` is the Monday; the figures are the week's last snapshot's; weeks without one are absent."""

    @pytest.fixture
    def history(self, admin, tenant, sales):
        # Week of 1 June: Mon 0 done, Wed 1 done (the week's last snapshot: Wednesday).
        # Week of 8 June: none. Week of 15 June (this one): Mon 2 done; Sun 21 is in the future.
        def write(day, done):
            for i in range(done):
                Assignment.objects.filter(person=sales["people"][i]).update(completed_at=MONDAY - dt.timedelta(days=30))
            snapshots.compliance_snapshot_write(tenant.pk, day, MONDAY)

        write(dt.date(2026, 6, 1), 0)
        write(dt.date(2026, 6, 3), 1)
        write(dt.date(2026, 6, 15), 2)
        write(dt.date(2026, 6, 21), 3)
        return sales

    def get(self, api, **params):
        with time_machine.travel(MONDAY, tick=False):
            return api.get("reports/compliance/trend", params)

    def test_weeks_are_mondays_with_the_last_snapshot_of_each(self, admin_api, history):
        response = self.get(admin_api, by="department", weeks=3)
        assert response.status_code == 200, response.content
        key_id = history["department"].pk
        assert response.json() == {
            "items": [
                {"week": "2026-06-01", "key": "Sales", "key_id": key_id, "required_due": 3, "completed": 1,
                 "exempt": 0, "rate": 0.3333},
                {"week": "2026-06-15", "key": "Sales", "key_id": key_id, "required_due": 3, "completed": 2,
                 "exempt": 0, "rate": 0.6667},
            ]
        }  # fmt: skip

    def test_the_window_counts_whole_weeks_back_from_this_one(self, admin_api, history):
        weeks = [i["week"] for i in self.get(admin_api, weeks=2).json()["items"]]
        assert weeks == ["2026-06-15"]
        assert [i["week"] for i in self.get(admin_api, by="course", weeks=104).json()["items"]] == [
            "2026-06-01",
            "2026-06-15",
        ]

    def test_the_week_follows_the_tenants_time_zone(self, admin_api, tenant, history):
        # Monday 15 June 09:00 UTC is still Sunday the 14th in Honolulu: this week is that of 8 June.
        tenant.settings = {"timezone": "Pacific/Honolulu"}
        tenant.save()
        assert [i["week"] for i in self.get(admin_api, weeks=2).json()["items"]] == ["2026-06-01"]

    def test_in_three_queries(self, admin_api, history):
        self.get(admin_api, weeks=3)
        with CaptureQueriesContext(connection) as queries:
            assert self.get(admin_api, weeks=3).status_code == 200
        reads = [q["sql"] for q in queries if "compliance_snapshot" in q["sql"] or '"tenant"' in q["sql"]]
        assert len(reads) == 3, reads

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"weeks": 0}, "weeks"), ({"weeks": 105}, "weeks"), ({"weeks": "many"}, "weeks"), ({"by": "team"}, "by")],
    )
    def test_bad_parameters_are_422_naming_them(self, admin_api, params, field):
        response = self.get(admin_api, **params)
        assert response.status_code == 422
        assert field in response.content.decode()

    def test_who_may_see_it(self, api_as, tenant, make_person, history):
        for roles, code in ((("hr",), 200), (("instructor",), 200), ((), 403)):
            assert self.get(api_as(make_person(tenant, roles=roles)), weeks=1).status_code == code

    def test_other_tenants_see_their_own(self, api_as, other_tenant, make_person, history):
        assert self.get(api_as(make_person(other_tenant, roles=("admin",))), weeks=4).json() == {"items": []}
