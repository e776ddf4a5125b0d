"""A training configuration whose audience names a group the identity provider removed (archived): its page and
the Training list say so, the pickers offer only live groups, and editing it keeps the group named unasked."""

import datetime as dt
import re

import pytest
import time_machine

from duecourse.assignments import living_rules
from duecourse.assignments.choices import pickable_groups
from duecourse.assignments.inputs import RuleInput
from duecourse.assignments.rule_presenters import archived_group_notice
from duecourse.core.actors import SystemActor
from duecourse.groups import services
from duecourse.groups.inputs import GroupInput
from duecourse.testing.factories import make_course, target
from duecourse.testing.web import text

NOTICE = (
    "Group Engineering was removed by the identity provider on 7 Dec 2026 — "
    "this configuration now reaches nobody through it"
)


@pytest.fixture
def configured(tenant, admin, make_person):
    people = [make_person(tenant, name=f"Engineer {i}") for i in range(2)]
    engineering = services.group_create(
        actor=admin, data=GroupInput(name="Engineering", kind="static", member_ids=[p.pk for p in people])
    )
    drivers = services.group_create(
        actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[people[0].pk])
    )
    rule, _ = living_rules.rule_create(
        actor=admin,
        data=RuleInput.model_validate(
            {
                "name": "Secure coding",
                "audience": {"group_ids": [engineering.pk, drivers.pk]},
                "items": [{"target": target(make_course(tenant, title="Secure coding"))}],
            }
        ),
    )
    with time_machine.travel(dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)):
        services.group_archive(
            actor=SystemActor(tenant.pk, "SCIM: Entra ID"),
            group=engineering,
            reason=services.ARCHIVED_BY_IDENTITY_PROVIDER,
        )
    return rule, engineering, drivers


def test_the_notice_is_one_sentence_from_the_groups_fields(configured):
    _, engineering, _ = configured
    engineering.refresh_from_db()

    assert archived_group_notice("Engineering", engineering) == NOTICE


def test_the_configuration_page_and_the_list_say_the_group_was_removed(signed_in, admin, configured):
    rule, _, _ = configured
    client = signed_in(admin)

    page = text(client.get(f"/training/{rule.pk}/"))
    assert f'<div class="alert alert-warning" role="status" data-archived-group><p>{NOTICE}.</p></div>' in page

    listed = text(client.get("/training/"))
    row = re.search(rf'<tr data-rule="{rule.pk}">.*?</tr>', listed, re.S).group(0)
    assert NOTICE in row and row.count("data-archived-group") == 1  # Drivers is live: no notice for it


def test_pickers_offer_only_live_groups_and_editing_keeps_the_archived_one(signed_in, admin, configured):
    rule, engineering, drivers = configured
    client = signed_in(admin)

    new_form = text(client.get("/training/new/"))
    assert f'name="group_ids" value="{drivers.pk}"' in new_form
    assert f'name="group_ids" value="{engineering.pk}"' not in new_form
    # The bulk wizard's people step asks the same function.
    assert pickable_groups(admin) == [drivers]
    assert pickable_groups(admin, named=[engineering.pk]) == [drivers, engineering]

    edit_form = text(client.get(f"/training/{rule.pk}/edit/"))
    assert re.search(rf'<input type="checkbox" name="group_ids" value="{engineering.pk}"[^>]* checked', edit_form)
    assert "Engineering (Archived on 7 Dec 2026: removed by the identity provider)" in edit_form
