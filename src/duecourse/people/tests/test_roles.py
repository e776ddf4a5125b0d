"""The role tests every permission rule builds on (people/roles.py)."""

import pytest

from duecourse.people import roles
from duecourse.people.models import Person


@pytest.mark.parametrize(
    ("held", "learning_staff", "whole_tenant"),
    [
        ((), False, False),
        (("admin",), True, True),
        (("instructor",), True, True),
        (("hr",), False, True),
    ],
)
def test_stored_roles_decide_the_tenant_wide_predicates(tenant, make_person, held, learning_staff, whole_tenant):
    person = make_person(tenant, roles=held)

    assert roles.stored_roles(person) == list(held)
    assert roles.is_learning_staff(person) is learning_staff
    assert roles.sees_whole_tenant(person) is whole_tenant
    assert roles.is_admin(person) is ("admin" in held)


def test_has_reports_means_an_active_direct_report_asked_or_annotated(tenant, make_person):
    manager, former_manager, learner = make_person(tenant), make_person(tenant), make_person(tenant)
    make_person(tenant, manager=manager)
    make_person(tenant, manager=former_manager, active=False)
    annotated = roles.with_has_reports(Person.objects.filter(pk__in=[manager.pk, former_manager.pk, learner.pk]))

    asked = {p.pk: roles.has_reports(p) for p in (manager, former_manager, learner)}
    from_annotation = {p.pk: roles.has_reports(p) for p in annotated}
    filtered = set(Person.objects.filter(roles.has_reports_condition()).values_list("pk", flat=True))

    assert asked == from_annotation == {manager.pk: True, former_manager.pk: False, learner.pk: False}
    assert filtered == {manager.pk}
    assert manager.role_names == ["manager", "learner"]
    assert roles.has_reports(Person(tenant=tenant)) is False  # unsaved: nobody reports to it yet


def test_every_role_has_a_label():
    assert set(roles.ROLE_LABELS) == set(roles.ROLE_NAMES)
    assert set(roles.FILTER_ROLES) == set(roles.ROLE_NAMES) - {"learner"}


def test_pages_show_a_role_by_its_label():
    from django.template import Context, Template

    rendered = Template("{% load roles %}{% for r in roles %}{{ r|role_label }} {% endfor %}").render(
        Context({"roles": ["hr", "manager", "learner"]})
    )

    assert rendered == "HR Manager Learner "


def test_holders_of_a_role_are_the_active_people_flagged_with_it(tenant, make_person):
    hr = make_person(tenant, roles=("hr",))
    make_person(tenant, roles=("hr",), active=False)
    make_person(tenant, roles=("admin",))
    assert list(Person.objects.filter(roles.holders_condition("hr"))) == [hr]
    with pytest.raises(ValueError):
        roles.holders_condition("manager")  # derived, not stored: ask has_reports_condition()
