"""Group services: rule validation and compilation, materialised membership kept current."""

import datetime as dt

import pytest

from duecourse.core.errors import PermissionDenied, ValidationFailed
from duecourse.groups import services
from duecourse.groups.dynamic_rules import describe_rule, rule_filter, tenant_rule_filter, validate_rule
from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import GroupMember
from duecourse.groups.signals import group_membership_changed
from duecourse.people import services as people_services
from duecourse.people.imports import people_import
from duecourse.people.inputs import PersonInput
from duecourse.people.models import Person
from duecourse.testing.factories import org_unit


def members(group) -> set[str]:
    return set(GroupMember.objects.filter(group=group).values_list("person__email", flat=True))


# --- rules: pure ----------------------------------------------------------------------------------


def test_validate_rule_canonicalises():
    rule = validate_rule(
        {
            "all": [
                {"field": "site", "op": "eq", "value": " Leeds "},
                {"field": "hire_date", "op": "after", "value": "2026-01-01"},
                {"field": "manager_id", "op": "in", "value": [3, 4]},
            ]
        }
    )

    assert rule["all"][0]["value"] == "Leeds"
    assert describe_rule(rule) == "site is Leeds and hire date after 2026-01-01 and manager id is one of 3, 4"


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (None, "rule"),
        ([], "rule"),
        ({"all": [], "any": []}, "rule"),
        ({"all": [{"field": "site", "op": "eq", "value": ""}]}, "rule.all[0].value"),
        ({"all": [{"field": "site", "op": "eq"}]}, "rule.all[0].value"),
        ({"all": [{"field": "site", "op": "eq", "value": "L", "extra": 1}]}, "rule.all[0]"),
        ({"all": ["site = L"]}, "rule.all[0]"),
        ({"all": [{"field": "hire_date", "op": "eq", "value": 2026}]}, "rule.all[0].value"),
        ({"all": [{"field": "manager_id", "op": "eq", "value": True}]}, "rule.all[0].value"),
        ({"all": [{"field": "manager_id", "op": "eq", "value": 2**70}]}, "rule.all[0].value"),
        ({"all": [{"field": "site", "op": "in", "value": []}]}, "rule.all[0].value"),
        ({"all": [{"field": "site", "op": "eq", "value": "L"}] * 51}, "rule.all"),
    ],
)
def test_validate_rule_names_the_bad_part(rule, field):
    with pytest.raises(ValidationFailed) as exc:
        validate_rule(rule)

    assert field in [e.field for e in exc.value.errors]


def test_every_bad_condition_is_reported_at_once():
    with pytest.raises(ValidationFailed) as exc:
        validate_rule({"all": [{"field": "x", "op": "eq", "value": 1}, {"field": "site", "op": "??", "value": "L"}]})

    assert [e.field for e in exc.value.errors] == ["rule.all[0].field", "rule.all[1].op"]


# --- rules against the database -------------------------------------------------------------------


@pytest.fixture
def org(tenant, make_person):
    logistics, sales, leeds, york = (
        org_unit(tenant, "department", "Logistics"),
        org_unit(tenant, "department", "Sales"),
        org_unit(tenant, "site", "Leeds"),
        org_unit(tenant, "site", "York"),
    )
    boss = make_person(tenant, email="boss@acme.test", department=sales)
    return {
        "boss": boss,
        "new_leeds": make_person(
            tenant, email="new@acme.test", department=logistics, site=leeds, hire_date=dt.date(2026, 3, 1), manager=boss
        ),
        "old_leeds": make_person(
            tenant, email="old@acme.test", department=logistics, site=leeds, hire_date=dt.date(2019, 3, 1)
        ),
        "york": make_person(tenant, email="york@acme.test", department=logistics, site=york, job_title="Driver"),
        "gone": make_person(tenant, email="gone@acme.test", department=logistics, site=leeds, active=False),
    }


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([{"field": "department", "op": "eq", "value": "Logistics"}], {"new", "old", "york"}),
        ([{"field": "site", "op": "in", "value": ["York", "Nowhere"]}], {"york"}),
        ([{"field": "hire_date", "op": "after", "value": "2026-01-01"}], {"new"}),
        ([{"field": "hire_date", "op": "before", "value": "2026-01-01"}], {"old"}),
        ([{"field": "hire_date", "op": "eq", "value": "2019-03-01"}], {"old"}),
        ([{"field": "job_title", "op": "eq", "value": "Driver"}], {"york"}),
        ([{"field": "region", "op": "eq", "value": "North"}], set()),
        (
            [
                {"field": "department", "op": "eq", "value": "Logistics"},
                {"field": "site", "op": "eq", "value": "Leeds"},
            ],
            {"new", "old"},
        ),
    ],
)
@pytest.mark.parametrize("compiled", ["joined", "org units resolved first"])
def test_rule_filter_selects_active_matching_people(org, tenant, other_tenant, conditions, expected, compiled):
    org_unit(other_tenant, "region", "North")  # another tenant's unit matches nobody
    rule = validate_rule({"all": conditions})

    if compiled == "joined":
        people = Person.objects.filter(rule_filter(rule), tenant=tenant)
    else:
        condition = tenant_rule_filter(rule, tenant.pk)
        people = Person.objects.filter(condition) if condition is not None else Person.objects.none()
    selected = people.values_list("email", flat=True)

    assert {e.split("@")[0] for e in selected} == expected


def test_manager_rule(org, tenant):
    rule = validate_rule({"all": [{"field": "manager_id", "op": "eq", "value": org["boss"].pk}]})

    assert list(Person.objects.filter(rule_filter(rule), tenant=tenant)) == [org["new_leeds"]]


# --- membership kept current ------------------------------------------------------------------------


def test_dynamic_group_membership_follows_every_kind_of_change(admin, org, tenant):
    group = services.group_create(
        actor=admin,
        data=GroupInput(name="Leeds", kind="dynamic", rule={"all": [{"field": "site", "op": "eq", "value": "Leeds"}]}),
    )
    assert members(group) == {"new@acme.test", "old@acme.test"}

    people_services.person_create(
        actor=admin, tenant_id=tenant.pk, data=PersonInput(email="n2@acme.test", name="N", site="Leeds")
    )
    people_services.person_update(actor=admin, person=org["york"], data=PersonInput(site="Leeds"))
    people_services.person_update(actor=admin, person=org["old_leeds"], data=PersonInput(active=False))
    assert members(group) == {"new@acme.test", "n2@acme.test", "york@acme.test"}

    people_import(actor=admin, rows=[{"email": "new@acme.test", "name": "New", "site": "York"}])
    assert members(group) == {"n2@acme.test", "york@acme.test"}


def test_a_rule_naming_a_unit_not_created_yet_matches_once_it_is(admin, org):
    rule = {"all": [{"field": "department", "op": "in", "value": ["Warehouse", "Sales"]}]}
    group = services.group_create(actor=admin, data=GroupInput(name="Stock", kind="dynamic", rule=rule))
    assert members(group) == {"boss@acme.test"}
    services.group_update(
        actor=admin,
        group=group,
        data=GroupInput(rule={"all": [{"field": "department", "op": "eq", "value": "Warehouse"}]}),
    )
    assert members(group) == set()

    people_import(actor=admin, rows=[{"email": "old@acme.test", "name": "Old", "department": "Warehouse"}])

    assert members(group) == {"old@acme.test"}


def test_groups_of_other_tenants_are_untouched(admin, org, other_tenant, make_person):
    rule = {"all": [{"field": "site", "op": "eq", "value": "Leeds"}]}
    outsider = make_person(other_tenant, site=org_unit(other_tenant, "site", "Leeds"))
    group = services.group_create(actor=admin, data=GroupInput(name="Leeds", kind="dynamic", rule=rule))

    assert outsider.pk not in set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))


def test_static_add_and_remove(admin, org):
    group = services.group_create(actor=admin, data=GroupInput(name="Club", kind="static", member_ids=[org["boss"].pk]))

    services.static_group_add_members(actor=admin, group=group, person_ids=[org["york"].pk, org["boss"].pk])
    services.static_group_remove_members(actor=admin, group=group, person_ids=[org["boss"].pk])

    assert members(group) == {"york@acme.test"}


def test_membership_changes_are_announced_once_per_change(admin, org):
    seen = []

    def listener(sender, tenant_id, group_ids, person_ids, **kwargs):
        seen.append((tuple(group_ids), tuple(sorted(person_ids or ()))))

    group_membership_changed.connect(listener)
    try:
        group = services.group_create(
            actor=admin, data=GroupInput(name="Club", kind="static", member_ids=[org["york"].pk])
        )
        services.group_update(actor=admin, group=group, data=GroupInput(member_ids=[org["york"].pk]))  # no change
    finally:
        group_membership_changed.disconnect(listener)

    assert seen == [((group.pk,), (org["york"].pk,))]


def test_refresh_for_some_people_only_touches_them(admin, org):
    group = services.group_create(
        actor=admin,
        data=GroupInput(name="Leeds", kind="dynamic", rule={"all": [{"field": "site", "op": "eq", "value": "Leeds"}]}),
    )
    Person.objects.filter(pk__in=[org["new_leeds"].pk, org["old_leeds"].pk]).update(site=None)  # behind its back

    joined, left = services.dynamic_group_refresh(group=group, person_ids=[org["new_leeds"].pk])

    assert (joined, left) == (0, 1)
    assert members(group) == {"old@acme.test"}


def test_only_admins_manage_groups(tenant, make_person):
    for role in ("instructor", "hr"):
        with pytest.raises(PermissionDenied):
            services.group_create(actor=make_person(tenant, roles=(role,)), data=GroupInput(name="X", kind="static"))
