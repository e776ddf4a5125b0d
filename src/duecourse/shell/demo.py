"""The demo company that `duecourse serve --demo` loads: realistic, deterministic, and loaded once.

Everything is written through the services (tenant_create, the set-based people import,
group_create, the catalog, training configurations (rules), progress, person_set_password,
api_token_create), so the demo exercises the same code a customer's data goes through: the
configurations assign the training, completions issue certificates. The directory is generated
from a fixed seed: every install gets the same people, which keeps screenshots, docs and bug
reports comparable.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction

from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.living_rules import rule_create
from duecourse.assignments.progress import ProgressEntry, progress_apply
from duecourse.catalog.inputs import CourseInput
from duecourse.catalog.services import course_create
from duecourse.core import clock
from duecourse.core.actors import SystemActor
from duecourse.core.models import Tenant
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group
from duecourse.groups.services import group_create
from duecourse.people.imports import people_import
from duecourse.people.models import Person
from duecourse.people.services import api_token_create, person_set_password, tenant_create
from duecourse.reports.snapshots import compliance_snapshot_write

TENANT_NAME = "Demo Company"
DOMAIN = "demo.duecourse.test"
PASSWORD = "demo1234"  # noqa: S105 (printed on purpose: it is the demo's documented login)
SEED = 2026
TOKEN_VALID_DAYS = 7  # a demo's printed API token stops working after a week

# site -> (region, time zone, locale, first names, last names)
SITES = {
    "Leeds": (
        "EMEA",
        "Europe/London",
        "en-GB",
        ["Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "George", "Mia", "Noah", "Grace", "Leo", "Freya"],
        ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes", "Green", "Hall"],
    ),
    "Milan": (
        "EMEA",
        "Europe/Rome",
        "it",
        ["Giulia", "Luca", "Francesca", "Matteo", "Chiara", "Alessandro", "Sara", "Lorenzo", "Elena", "Davide"],
        ["Rossi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno"],
    ),
    "Berlin": (
        "EMEA",
        "Europe/Berlin",
        "de",
        ["Lukas", "Anna", "Felix", "Lea", "Jonas", "Hannah", "Paul", "Lena", "Maximilian", "Sophie", "Tim"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch"],
    ),
    "Austin": (
        "Americas",
        "America/Chicago",
        "en-US",
        ["James", "Olivia", "Michael", "Emma", "Daniel", "Sophia", "Ethan", "Ava", "Mason", "Chloe", "Lucas"],
        ["Johnson", "Williams", "Garcia", "Martinez", "Davis", "Rodriguez", "Lopez", "Moore", "Clark", "Lewis"],
    ),
}

# department -> (director title, manager title, staff titles, sites with a team, staff per team)
DEPARTMENTS = {
    "Logistics": (
        "Director of Logistics",
        "Warehouse Manager",
        ["Warehouse Operative", "Forklift Driver", "HGV Driver", "Stock Controller", "Shift Supervisor"],
        ["Leeds", "Leeds", "Milan", "Austin"],
        10,
    ),
    "Sales": (
        "Sales Director",
        "Regional Sales Manager",
        ["Account Executive", "Sales Development Representative", "Key Account Manager"],
        ["Leeds", "Milan", "Berlin", "Austin"],
        6,
    ),
    "Engineering": (
        "VP Engineering",
        "Engineering Manager",
        ["Software Engineer", "Senior Software Engineer", "QA Engineer", "Site Reliability Engineer"],
        ["Berlin", "Berlin", "Austin"],
        9,
    ),
    "Finance": (
        "Finance Director",
        "Finance Manager",
        ["Accountant", "Accounts Payable Clerk", "Financial Analyst"],
        ["Leeds", "Milan"],
        5,
    ),
    "HR": (
        "HR Director",
        "HR Manager",
        ["HR Business Partner", "Recruiter", "L&D Specialist", "Payroll Officer"],
        ["Leeds", "Austin"],
        4,
    ),
    "Operations": (
        "Operations Director",
        "Operations Manager",
        ["Operations Coordinator", "Facilities Technician", "Health and Safety Officer", "Production Operator"],
        ["Leeds", "Milan", "Berlin", "Austin"],
        7,
    ),
    "Customer Service": (
        "Head of Customer Service",
        "Customer Service Team Lead",
        ["Customer Service Advisor", "Support Specialist"],
        ["Leeds", "Austin"],
        8,
    ),
    "Marketing": (
        "Marketing Director",
        "Marketing Manager",
        ["Marketing Executive", "Content Designer", "Events Coordinator"],
        ["Milan", "Austin"],
        5,
    ),
}


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    name: str
    what: str


# The people a demo user logs in as; each gets PASSWORD. Emails are fixed so docs can name them.
LOGINS = (
    DemoLogin("admin", f"admin@{DOMAIN}", "Priya Shah", "tenant administrator: everything"),
    DemoLogin("instructor", f"instructor@{DOMAIN}", "Marco Bianchi", "L&D: catalog, assignments, rules"),
    DemoLogin("hr", f"hr@{DOMAIN}", "Hannah Becker", "HR: team status and compliance reports"),
    DemoLogin("manager", f"manager@{DOMAIN}", "Tom Hargreaves", "warehouse manager in Leeds with direct reports"),
    DemoLogin("learner", f"learner@{DOMAIN}", "Sam Carter", "a new starter in Leeds Logistics"),
)


@dataclass
class DemoResult:
    tenant: Tenant
    created: bool
    people: int
    logins: tuple[DemoLogin, ...] = LOGINS
    password: str = PASSWORD
    tokens: dict[str, str] = field(default_factory=dict)  # email -> plain token


class _Directory:
    """Builds the import rows: CEO -> directors -> managers -> staff, with unique names and emails."""

    def __init__(self) -> None:
        self.random = random.Random(SEED)
        self.rows: list[dict] = []
        self.emails: set[str] = {login.email for login in LOGINS}
        self.login_emails: frozenset[str] = frozenset(self.emails)
        self.names: set[str] = {login.name for login in LOGINS}

    def _hire_date(self, *, senior: bool) -> dt.date:
        if not senior and self.random.random() < 0.12:
            # New starters: hired this year, a few still to start (pre-boarding).
            return dt.date(2026, 1, 5) + dt.timedelta(days=self.random.randrange(0, 340))
        first = dt.date(2008 if senior else 2014, 1, 1)
        return first + dt.timedelta(days=self.random.randrange(0, (dt.date(2025, 12, 1) - first).days))

    def _name(self, site: str) -> tuple[str, str]:
        _, _, _, firsts, lasts = SITES[site]
        while True:
            first, last = self.random.choice(firsts), self.random.choice(lasts)
            if f"{first} {last}" not in self.names:
                break
        self.names.add(f"{first} {last}")
        base = f"{first}.{last}".lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        email, n = f"{base}@{DOMAIN}", 2
        while email in self.emails:
            email, n = f"{base}{n}@{DOMAIN}", n + 1
        self.emails.add(email)
        return f"{first} {last}", email

    def add(
        self,
        *,
        site: str,
        department: str,
        job_title: str,
        manager_email: str | None,
        senior: bool = False,
        email: str | None = None,
        name: str | None = None,
        hire_date: dt.date | None = None,
        roles: tuple[str, ...] = (),
    ) -> str:
        region, timezone, locale, _, _ = SITES[site]
        if email in self.login_emails:
            # The demo logins read English whatever their site (README); they change it on their profile.
            locale = "en-GB"
        if email is None:
            name, email = self._name(site)
        self.rows.append(
            {
                "external_id": f"E{1001 + len(self.rows)}",
                "email": email,
                "name": name,
                "manager_email": manager_email,
                "department": department,
                "site": site,
                "region": region,
                "job_title": job_title,
                "hire_date": (hire_date or self._hire_date(senior=senior)).isoformat(),
                "timezone": timezone,
                "locale": locale,
                "roles": list(roles),
            }
        )
        return email

    def build(self) -> list[dict]:
        ceo = self.add(
            site="Leeds",
            department="Executive",
            job_title="Chief Executive Officer",
            manager_email=None,
            senior=True,
            email=f"ceo@{DOMAIN}",
            name="Eleanor Whitfield",
            hire_date=dt.date(2009, 3, 2),
        )
        admin, instructor, hr, manager, learner = LOGINS
        directors: dict[str, str] = {}
        for department, (director_title, _, _, sites, _) in DEPARTMENTS.items():
            directors[department] = self.add(
                site=sites[0], department=department, job_title=director_title, manager_email=ceo, senior=True
            )
        self.add(
            site="Leeds",
            department="HR",
            job_title="L&D Systems Administrator",
            manager_email=directors["HR"],
            email=admin.email,
            name=admin.name,
            hire_date=dt.date(2019, 6, 3),
            roles=("admin",),
        )
        self.add(
            site="Milan",
            department="HR",
            job_title="L&D Specialist",
            manager_email=directors["HR"],
            email=instructor.email,
            name=instructor.name,
            hire_date=dt.date(2021, 9, 13),
            roles=("instructor",),
        )
        self.add(
            site="Berlin",
            department="HR",
            job_title="HR Business Partner",
            manager_email=directors["HR"],
            email=hr.email,
            name=hr.name,
            hire_date=dt.date(2018, 2, 19),
            roles=("hr",),
        )
        for department, (_, manager_title, staff_titles, sites, team_size) in DEPARTMENTS.items():
            for index, site in enumerate(sites):
                if department == "Logistics" and index == 0:
                    team_manager = self.add(
                        site=site,
                        department=department,
                        job_title=manager_title,
                        manager_email=directors[department],
                        email=manager.email,
                        name=manager.name,
                        hire_date=dt.date(2016, 4, 11),
                    )
                    self.add(
                        site=site,
                        department=department,
                        job_title="Warehouse Operative",
                        manager_email=team_manager,
                        email=learner.email,
                        name=learner.name,
                        hire_date=dt.date(2026, 1, 12),
                    )
                else:
                    team_manager = self.add(
                        site=site,
                        department=department,
                        job_title=manager_title,
                        manager_email=directors[department],
                        senior=True,
                    )
                for _ in range(team_size + self.random.randrange(-1, 2)):
                    self.add(
                        site=site,
                        department=department,
                        job_title=self.random.choice(staff_titles),
                        manager_email=team_manager,
                    )
        # A few leavers (staff without reports): deactivated people keep their history.
        managers = {row["manager_email"] for row in self.rows}
        logins = {login.email for login in LOGINS}
        staff = [row for row in self.rows if row["email"] not in managers | logins]
        for row in staff[7::45]:
            row["active"] = False
        return self.rows


def _static_group_members(people: list[Person], rng: random.Random) -> dict[str, list[int]]:
    by_site: dict[str, list[Person]] = {}
    for person in people:
        by_site.setdefault(person.site.name if person.site else "", []).append(person)
    fire_wardens = [p.pk for members in by_site.values() for p in rng.sample(members, min(3, len(members)))]
    first_aiders = [p.pk for members in by_site.values() for p in rng.sample(members, min(2, len(members)))]
    forklift = [p.pk for p in people if p.job_title in ("Forklift Driver", "Shift Supervisor")]
    return {"Fire wardens": fire_wardens, "First aiders": first_aiders, "Forklift licence holders": forklift}


DYNAMIC_GROUPS = {
    "Leeds Logistics": [
        {"field": "department", "op": "eq", "value": "Logistics"},
        {"field": "site", "op": "eq", "value": "Leeds"},
    ],
    "2026 starters": [{"field": "hire_date", "op": "after", "value": "2025-12-31"}],
    "EMEA Sales": [
        {"field": "department", "op": "eq", "value": "Sales"},
        {"field": "region", "op": "eq", "value": "EMEA"},
    ],
    "Americas": [{"field": "region", "op": "eq", "value": "Americas"}],
    "Drivers": [{"field": "job_title", "op": "in", "value": ["HGV Driver", "Forklift Driver"]}],
}


# The catalog: (code, title, estimated minutes).
COURSES = (
    ("HS-101", "Fire Safety Awareness", 30),
    ("HS-102", "Manual Handling", 45),
    ("HS-201", "First Aid Refresher", 60),
    ("OPS-310", "Forklift Operation and Safety", 90),
    ("CMP-001", "Code of Conduct", 20),
    ("CMP-002", "Data Protection (GDPR)", 40),
    ("WH-120", "Warehouse Safety Refresher", 240),
)


@dataclass(frozen=True)
class DemoConfiguration:
    """A training configuration (assignment rule) of the demo; items are (course code, visibility, months)."""

    name: str
    audience: dict
    items: tuple[tuple[str, str, int | None], ...]
    due_in_days: int | None = None
    due_date_offset: int | None = None  # days from today for a fixed due date (negative: already past)
    priority: str = "medium"
    note: str = ""
    certificate: bool = False
    completed_share: float = 0.0  # of the audience who have completed every required item
    started_share: float = 0.0  # of the rest: partway through, their progress reported week by week
    created_days_ago: int = 0  # when the configuration was set up (the demo replays the time since)


CONFIGURATIONS = (
    DemoConfiguration(
        name="Leeds site safety",
        audience={"sites": ["Leeds"]},
        items=(("HS-101", "required", 12), ("HS-102", "required", 12), ("HS-201", "optional", None)),
        due_in_days=21,
        priority="high",
        note="Everyone working at the Leeds site renews these every year.",
        certificate=True,
        completed_share=0.7,
        started_share=0.3,
        created_days_ago=400,  # completions of its first weeks have expired: "expired" and renewals
    ),
    DemoConfiguration(
        name="Forklift licence",
        audience={"group_names": ["Drivers"]},
        items=(("OPS-310", "required", 36),),
        due_in_days=30,
        priority="high",
        certificate=True,
        completed_share=0.6,
        started_share=0.5,
        created_days_ago=40,  # due 10 days ago: the second escalation tier
    ),
    DemoConfiguration(
        name="Company essentials",
        audience={"everyone": True},
        items=(("CMP-001", "required", 12), ("CMP-002", "required", 24)),
        due_date_offset=16,  # from the day it was set up: due 4 days ago (the first escalation tier)
        note="Annual compliance training for every employee.",
        completed_share=0.75,
        started_share=0.4,
        created_days_ago=20,
    ),
    DemoConfiguration(
        name="Warehouse refresher",
        audience={"departments": ["Logistics"]},
        items=(("WH-120", "required", 24),),
        due_in_days=16,  # four days left, and four hours of learning: the forecast's at-risk items
        note="A four-hour refresher before the peak season.",
        completed_share=0.3,
        started_share=0.6,
        created_days_ago=12,
    ),
)


HISTORY_WEEKS = 53  # the replayed past: a year of weekly progress (and the compliance snapshots of it)


def _load_training(tenant: Tenant, admin: Person, rng: random.Random) -> list[tuple[dt.datetime, ProgressEntry]]:
    """The catalog, then each training configuration as it was set up (`created_days_ago`); returns the
    progress that happened since, as (when, report): completions spread between set-up and today (some
    after the due date, the first ones old enough to have expired), and people partway through."""
    now = clock.now()
    with clock.running_at(now - dt.timedelta(days=max(c.created_days_ago for c in CONFIGURATIONS) + 1)):
        courses = {  # the catalog, set up the day before the first configuration
            code: course_create(
                actor=admin, data=CourseInput(code=code, title=title, estimated_minutes=minutes, status="active")
            )
            for code, title, minutes in COURSES
        }
    groups = dict(Group.objects.filter(tenant=tenant).values_list("name", "pk"))
    learner = Person.objects.get(tenant=tenant, email=LOGINS[-1].email)
    happened: list[tuple[dt.datetime, ProgressEntry]] = []
    for config in CONFIGURATIONS:
        set_up = now - dt.timedelta(days=config.created_days_ago)
        audience = {k: v for k, v in config.audience.items() if k != "group_names"}
        audience["group_ids"] = [groups[name] for name in config.audience.get("group_names", [])]
        with clock.running_at(set_up):
            rule, _ = rule_create(
                actor=admin,
                data=RuleInput.model_validate(
                    {
                        "name": config.name,
                        "audience": audience,
                        "items": [
                            {
                                "target": {"type": "course", "id": courses[code].pk},
                                "visibility": v,
                                "validity_months": m,
                            }
                            for code, v, m in config.items
                        ],
                        "due_in_days": config.due_in_days,
                        "due_date": (
                            set_up.date() + dt.timedelta(days=config.due_date_offset)
                            if config.due_date_offset
                            else None
                        ),
                        "priority": config.priority,
                        "note": config.note,
                        "certificate": config.certificate,
                    }
                ),
            )
        holders = sorted(
            set(
                Person.objects.filter(
                    assignments__sources__kind="rule", assignments__sources__ref_id=rule.pk
                ).values_list("pk", flat=True)
            )
        )
        required = [courses[code].pk for code, visibility, _months in config.items if visibility == "required"]
        span = max(config.created_days_ago - 2, 1)
        for person_id in holders:
            roll = rng.random()
            done = roll < config.completed_share or (person_id == learner.pk and config.certificate)
            started = not done and roll < config.completed_share + (1 - config.completed_share) * config.started_share
            for course_id in required:
                if done:
                    finished = set_up + dt.timedelta(days=rng.uniform(1, span), hours=rng.randint(0, 8))
                    happened.append(
                        (
                            finished,
                            ProgressEntry(
                                person_id=person_id, course_id=course_id, progress=100, completed_at=finished
                            ),
                        )
                    )
                elif started:
                    # Weekly reports of a slow or a steady pace; at risk or not, the forecast tells.
                    first = set_up + dt.timedelta(days=rng.uniform(1, span))
                    pace = rng.choice((5, 10, 20))
                    percent, when = 0, first
                    while when < now - dt.timedelta(days=1) and percent + pace < 100:
                        percent += pace
                        happened.append(
                            (when, ProgressEntry(person_id=person_id, course_id=course_id, progress=percent))
                        )
                        when += dt.timedelta(days=7)
    return sorted(happened, key=lambda item: item[0])


def _replay(admin: Person, happened: list[tuple[dt.datetime, ProgressEntry]]) -> None:
    """Report the progress week by week, each batch at its week's end, as the LMS would have, and record
    that week's compliance snapshot then (as the worker does daily), so the trend is the year that was."""
    now = clock.now()
    start = now - dt.timedelta(weeks=HISTORY_WEEKS)
    pending = [item for item in happened if item[0] <= start]
    week_end = start
    index = len(pending)
    if pending:
        progress_apply(actor=admin, entries=[e for _, e in pending], now=start)
    while week_end < now:
        week_end = min(week_end + dt.timedelta(weeks=1), now)
        batch: dict[tuple[int, int], ProgressEntry] = {}
        while index < len(happened) and happened[index][0] <= week_end:
            entry = happened[index][1]
            batch[(entry.person_id, entry.course_id)] = entry  # the week's last report of each course
            index += 1
        with clock.running_at(week_end):
            if batch:
                progress_apply(actor=admin, entries=list(batch.values()), now=week_end)
            compliance_snapshot_write(admin.tenant_id, week_end.date(), week_end)


def _load(admin_email: str) -> Tenant:
    # The company as it was when its oldest configuration was set up; the year since is replayed below.
    founded = clock.now() - dt.timedelta(days=max(c.created_days_ago for c in CONFIGURATIONS) + 2)
    with clock.running_at(founded):
        tenant, admin = tenant_create(name=TENANT_NAME, admin_email=admin_email, admin_name=LOGINS[0].name)
        result = people_import(actor=admin, rows=_Directory().build())
        if result.failed:
            raise RuntimeError(f"demo data did not import cleanly: {result.failed[:3]}")
        admin.refresh_from_db()
        active = list(Person.objects.filter(tenant=tenant, active=True).select_related("site").order_by("id"))
        rng = random.Random(SEED)
        for name, member_ids in _static_group_members(active, rng).items():
            group_create(actor=admin, data=GroupInput(name=name, kind="static", member_ids=member_ids))
        for name, conditions in DYNAMIC_GROUPS.items():
            group_create(actor=admin, data=GroupInput(name=name, kind="dynamic", rule={"all": conditions}))
    happened = _load_training(tenant, admin, rng)
    _replay(admin, happened)
    for login in LOGINS:
        person_set_password(
            person=Person.objects.get(tenant=tenant, email=login.email), password=PASSWORD, enforce_policy=False
        )
    return tenant


def demo_load() -> DemoResult:
    """Load the demo company unless it exists; either way return its logins and a fresh admin token.

    Tokens are stored hashed, so an earlier run's token cannot be shown again: each call creates a
    new one (earlier ones keep working until they expire, `TOKEN_VALID_DAYS` after they were made).
    """
    created = False
    tenant = Tenant.objects.filter(name=TENANT_NAME).first()
    if tenant is None:
        with transaction.atomic():
            tenant = _load(LOGINS[0].email)
        created = True
    admin = Person.objects.filter(tenant=tenant, email=LOGINS[0].email, active=True).first()
    tokens = {}
    if admin is not None:
        _, tokens[admin.email] = api_token_create(
            actor=SystemActor(tenant_id=admin.tenant_id, label="Demo loader"),
            person=admin,
            name="demo (serve --demo)",
            expires_at=clock.now() + dt.timedelta(days=TOKEN_VALID_DAYS),
        )
    return DemoResult(
        tenant=tenant,
        created=created,
        people=Person.objects.filter(tenant=tenant).count(),
        tokens=tokens,
    )
