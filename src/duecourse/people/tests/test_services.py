"""People services: validation rules, reporting lines, audit, tokens and concurrent creation."""

import threading

import pytest
from django.db import connection, connections

from duecourse.core.actors import SystemActor
from duecourse.core.errors import PermissionDenied, ValidationFailed
from duecourse.core.models import AuditEvent
from duecourse.people import services
from duecourse.people.inputs import PersonInput
from duecourse.people.models import Person
from duecourse.people.schemas import PersonPatch
from duecourse.people.validation import clean_person_input
from duecourse.testing.factories import org_unit


def test_create_records_an_audit_event(admin, tenant):
    person = services.person_create(actor=admin, tenant_id=tenant.pk, data=PersonInput(email="a@acme.test", name="A"))

    event = AuditEvent.objects.get(action="person.create", object_id=person.pk)
    assert (event.actor_id, event.after["email"]) == (admin.pk, "a@acme.test")


def test_update_audits_only_what_changed_and_skips_no_ops(admin, tenant, make_person):
    person = make_person(tenant, name="Old", job_title="Driver")

    services.person_update(actor=admin, person=person, data=PersonInput(name="New", job_title="Driver"))
    services.person_update(actor=admin, person=person, data=PersonInput(name="New"))

    events = AuditEvent.objects.filter(action="person.update", object_id=person.pk)
    assert [(e.before, e.after) for e in events] == [({"name": "Old"}, {"name": "New"})]


def test_non_admins_cannot_create(tenant, make_person):
    with pytest.raises(PermissionDenied):
        services.person_create(
            actor=make_person(tenant, roles=("hr",)),
            tenant_id=tenant.pk,
            data=PersonInput(email="x@acme.test", name="X"),
        )


def test_deactivation_keeps_the_person_and_stamps_the_time(admin, tenant, make_person):
    person = make_person(tenant)

    services.person_update(actor=admin, person=person, data=PersonInput(active=False))

    person.refresh_from_db()
    assert person.active is False and person.deactivated_at is not None
    services.person_update(actor=admin, person=person, data=PersonInput(active=True))
    person.refresh_from_db()
    assert person.deactivated_at is None


def test_manager_by_email(admin, tenant, make_person):
    boss = make_person(tenant, email="boss@acme.test")

    person = services.person_create(
        actor=admin,
        tenant_id=tenant.pk,
        data=PersonInput(email="x@acme.test", name="X", manager_email="BOSS@acme.test"),
    )

    assert person.manager_id == boss.pk


def test_a_long_chain_is_fine_but_closing_it_is_a_cycle(admin, tenant, make_person):
    chain = [make_person(tenant)]
    for _ in range(30):
        chain.append(make_person(tenant, manager=chain[-1]))

    with pytest.raises(ValidationFailed) as exc:
        services.person_update(actor=admin, person=chain[0], data=PersonInput(manager_id=chain[-1].pk))

    assert exc.value.errors[0].field == "manager_id"


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"email": " Mixed@Case.COM ", "name": " Ann "}, []),
        ({"email": "x@y.co", "name": "A", "active": "no"}, []),
        ({"email": "x@y.co", "name": "A", "active": "perhaps"}, ["active"]),
        ({"email": "x@y.co", "name": "A", "roles": "admin;hr"}, []),
        ({"email": "x@y.co", "name": "A", "roles": 5}, ["roles"]),
        ({"email": 7, "name": ""}, ["name", "email"]),
        ({"email": "x@y.co", "name": "A\x00"}, ["name"]),
        ({"email": "x@y.co", "name": "A", "manager_id": -3}, ["manager_id"]),
        ({"email": "x@y.co", "name": "A", "manager_id": True}, ["manager_id"]),
        ({"email": "x@y.co", "name": "A", "hire_date": 20260101}, ["hire_date"]),
    ],
)
def test_clean_person_input(data, fields):
    clean, errors = clean_person_input(data, partial=False)

    assert sorted(e.field for e in errors) == sorted(fields)
    if not errors:
        assert clean["email"] == clean["email"].strip().lower()


def test_clean_person_input_normalises():
    clean, errors = clean_person_input(
        {"email": " Mixed@Case.COM ", "name": " Ann ", "active": "no", "roles": "Admin;hr;manager", "timezone": ""},
        partial=False,
    )

    assert errors == []
    assert clean == {
        "email": "mixed@case.com",
        "name": "Ann",
        "active": False,
        "roles": ["admin", "hr"],
        "timezone": "UTC",
    }


def test_revoked_and_malformed_tokens_do_not_authenticate(admin):
    token, plain = services.api_token_create(actor=admin, person=admin)

    assert services.api_token_authenticate(plain) == admin
    assert services.api_token_authenticate(plain + "x") is None
    assert services.api_token_authenticate("garbage") is None
    services.api_token_revoke(actor=admin, token=token)
    assert services.api_token_authenticate(plain) is None


def test_a_token_gives_the_person_as_the_orm_loads_it(tenant, make_person):
    """Authentication reads token and person in one hand-written query; every field must come back typed."""
    import datetime as dt

    from duecourse.people.models import ApiToken

    boss = make_person(tenant)
    person = make_person(
        tenant,
        roles=("hr",),
        manager=boss,
        department=org_unit(tenant, "department", "Ops"),
        hire_date=dt.date(2024, 2, 29),
        timezone="Europe/Rome",
        external_id="E-7",
    )
    token, plain = services.api_token_create(actor=SystemActor(tenant_id=person.tenant_id), person=person)

    found = services.api_token_authenticate(plain)
    expected = Person.objects.get(pk=person.pk)
    assert found is not None and not found._state.adding
    for field in Person._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
        assert type(getattr(found, field.attname)) is type(getattr(expected, field.attname)), field.name
    assert found.is_hr is True and found.role_names == ["hr", "learner"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    Person.objects.filter(pk=person.pk).update(active=False)
    assert services.api_token_authenticate(plain) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_email_make_one_person_and_one_422(make_tenant, make_person):
    """Both requests pass the uniqueness check before either commits; the database decides."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so the race cannot happen there")
    tenant = make_tenant("Race")
    admin = make_person(tenant, roles=("admin",))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    real_check = services._check_unique

    def check_then_wait(person, errors):
        real_check(person, errors)
        barrier.wait(timeout=10)  # both have checked: neither sees the other's row

    def create():
        try:
            services.person_create(actor=admin, tenant_id=tenant.pk, data=PersonInput(email="race@acme.test", name="R"))
            outcomes.append("created")
        except ValidationFailed as exc:
            outcomes.append(f"422 {exc.errors[0].field}")
        finally:
            connections.close_all()

    services._check_unique = check_then_wait
    try:
        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        services._check_unique = real_check

    assert sorted(outcomes) == ["422 email", "created"]
    assert Person.objects.filter(tenant=tenant, email="race@acme.test").count() == 1


def test_a_patch_changes_only_the_fields_sent(admin, tenant, make_person):
    person = make_person(tenant, name="Ann", job_title="Driver")
    data = PersonPatch.model_validate({"job_title": None}).to_input()

    assert data.given() == {"job_title": None}
    services.person_update(actor=admin, person=person, data=data)

    person.refresh_from_db()
    assert (person.name, person.job_title, person.active) == ("Ann", "", True)


@pytest.mark.django_db
def test_the_system_creates_a_new_organisations_first_admin_and_says_so():
    tenant, admin = services.tenant_create(name="Globex", admin_email="boss@globex.test")
    event = AuditEvent.objects.get(tenant=tenant, action="person.create", object_id=admin.pk)
    assert (event.actor_id, event.actor_label) == (None, "System: new organisation")
    assert admin.is_admin
