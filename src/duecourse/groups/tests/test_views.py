"""The web UI's group pages: list, static and dynamic editors, preview, membership and deletion."""

import html as html_lib
import re

import pytest

from duecourse.groups.inputs import GroupInput
from duecourse.groups.models import Group, GroupMember
from duecourse.groups.services import group_create
from duecourse.testing.factories import org_unit


def members(group: Group) -> set[int]:
    return set(GroupMember.objects.filter(group=group).values_list("person_id", flat=True))


@pytest.fixture
def people(tenant, make_person):
    logistics, finance = org_unit(tenant, "department", "Logistics"), org_unit(tenant, "department", "Finance")
    leeds, york = org_unit(tenant, "site", "Leeds"), org_unit(tenant, "site", "York")
    return {
        "ann": make_person(tenant, name="Ann Leeds", department=logistics, site=leeds, hire_date="2026-02-01"),
        "ben": make_person(tenant, name="Ben Leeds", department=logistics, site=leeds, hire_date="2025-06-01"),
        "cat": make_person(tenant, name="Cat York", department=logistics, site=york),
        "dan": make_person(tenant, name="Dan Money", department=finance, site=leeds),
    }


def dynamic_post(name: str, *conditions) -> dict:
    data = {"kind": "dynamic", "name": name, "description": "", "cond": []}
    for index, (field, op, value) in enumerate(conditions):
        key = f"k{index}"
        data["cond"].append(key)
        data.update({f"cond-{key}-field": field, f"cond-{key}-op": op, f"cond-{key}-value": value})
    return data


def test_group_list_shows_kind_and_member_counts(admin, people, signed_in):
    group_create(actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[people["ann"].pk]))
    group_create(
        actor=admin,
        data=GroupInput(
            name="Leeds logistics", kind="dynamic", rule={"all": [{"field": "site", "op": "eq", "value": "Leeds"}]}
        ),
    )
    html = signed_in(admin).get("/groups/").content.decode()
    rows = dict(
        re.findall(
            r">([\w ]+)</a></td>\s*<td><span class=\"chip chip-\w+\">(?:Static|Dynamic)</span>"
            r".*?data-member-count>(\d+)<",
            html,
            re.S,
        )
    )
    assert rows == {"Drivers": "1", "Leeds logistics": "3"}
    assert "site is Leeds" in html
    assert "New dynamic group" in html


def test_group_list_search_and_kind_filter_with_htmx(admin, people, signed_in):
    group_create(actor=admin, data=GroupInput(name="Drivers", kind="static"))
    group_create(
        actor=admin,
        data=GroupInput(
            name="Finance", kind="dynamic", rule={"all": [{"field": "department", "op": "eq", "value": "Finance"}]}
        ),
    )
    client = signed_in(admin)
    partial = client.get("/groups/", {"kind": "dynamic"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Finance" in partial and "Drivers" not in partial
    assert "Drivers" in client.get("/groups/", {"q": "driv"}).content.decode()


def test_hr_sees_groups_but_cannot_change_them(tenant, make_person, admin, people, signed_in):
    group = group_create(actor=admin, data=GroupInput(name="Drivers", kind="static"))
    client = signed_in(make_person(tenant, roles=("hr",)))
    assert "New dynamic group" not in client.get("/groups/").content.decode()
    assert "Edit" not in client.get(f"/groups/{group.pk}/").content.decode()
    assert client.get("/groups/new/").status_code == 403
    assert client.post(f"/groups/{group.pk}/delete/").status_code == 403
    assert Group.objects.filter(pk=group.pk).exists()


def test_learners_cannot_see_groups(admin, people, signed_in):
    group = group_create(actor=admin, data=GroupInput(name="Drivers", kind="static"))
    client = signed_in(people["ann"])
    assert client.get("/groups/").status_code == 403
    assert client.get(f"/groups/{group.pk}/").status_code == 404


def test_another_tenants_group_is_not_found(admin, other_tenant, make_person, signed_in):
    outsider_admin = make_person(other_tenant, roles=("admin",))
    theirs = group_create(actor=outsider_admin, data=GroupInput(name="Theirs", kind="static"))
    client = signed_in(admin)
    for url in (f"/groups/{theirs.pk}/", f"/groups/{theirs.pk}/edit/", f"/groups/{theirs.pk}/delete/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/groups/{theirs.pk}/delete/").status_code == 404
    assert Group.objects.filter(pk=theirs.pk).exists()


def test_create_a_static_group_with_picked_members(admin, people, signed_in):
    client = signed_in(admin)
    picker = client.get("/groups/people-picker/", {"q": "leeds"}).content.decode()
    assert "Ann Leeds" in picker and "Ben Leeds" in picker and "Cat York" not in picker
    chip = client.get("/groups/member-chip/", {"person_id": people["ann"].pk}).content.decode()
    assert f'name="member_ids" value="{people["ann"].pk}"' in chip
    response = client.post(
        "/groups/new/",
        {
            "kind": "static",
            "name": "Fire wardens",
            "description": "One per floor",
            "member_ids": [people["ann"].pk, people["cat"].pk],
        },
        follow=True,
    )
    group = Group.objects.get(name="Fire wardens")
    assert members(group) == {people["ann"].pk, people["cat"].pk}
    html = response.content.decode()
    assert "Created the group Fire wardens." in html
    assert '<span class="count" id="member-count">2</span>' in html


def test_create_a_dynamic_group_from_rule_rows(admin, people, signed_in):
    client = signed_in(admin)
    response = client.post(
        "/groups/new/",
        dynamic_post("Leeds logistics", ("department", "in", "Logistics, Warehouse"), ("site", "eq", "Leeds")),
        follow=True,
    )
    group = Group.objects.get(name="Leeds logistics")
    assert group.rule == {
        "all": [
            {"field": "department", "op": "in", "value": ["Logistics", "Warehouse"]},
            {"field": "site", "op": "eq", "value": "Leeds"},
        ]
    }
    assert members(group) == {people["ann"].pk, people["ben"].pk}
    assert '<span class="count" id="member-count">2</span>' in response.content.decode()


def test_rule_errors_appear_beside_their_condition(admin, people, signed_in):
    response = signed_in(admin).post(
        "/groups/new/", dynamic_post("New starters", ("site", "eq", "Leeds"), ("hire_date", "after", "soon"))
    )
    html = html_lib.unescape(response.content.decode())
    assert response.status_code == 422
    rows = re.findall(
        r'<div class="rule-row( has-error)?" id="row-(k\d)">(.*?)</div>\s*(?=<div class="rule-row|\s*</div>)',
        html,
        re.S,
    )
    by_key = {key: (bool(flag), body) for flag, key, body in rows}
    assert by_key["k0"][0] is False
    assert by_key["k1"][0] is True and "'soon' is not a date" in by_key["k1"][1]
    assert 'value="soon"' in html
    assert not Group.objects.filter(name="New starters").exists()


def test_a_rule_needs_a_condition_and_a_name(admin, signed_in):
    response = signed_in(admin).post("/groups/new/", dynamic_post(""))
    html = response.content.decode()
    assert "Rule: needs at least one condition" in html
    assert re.search(r'<label for="id_name">.*?<p class="field-error"[^>]*>is required</p>', html, re.S)


def test_a_duplicate_name_is_shown_beside_the_name(admin, people, signed_in):
    group_create(actor=admin, data=GroupInput(name="Drivers", kind="static"))
    html = html_lib.unescape(
        signed_in(admin).post("/groups/new/", {"kind": "static", "name": "Drivers"}).content.decode()
    )
    assert re.search(
        r'<label for="id_name">.*?<p class="field-error"[^>]*>a group named \'Drivers\' already exists</p>', html, re.S
    )


def test_rule_preview_counts_matching_people(admin, people, tenant, make_person, signed_in):
    make_person(tenant, name="Gone Leeds", site=org_unit(tenant, "site", "Leeds"), active=False)
    client = signed_in(admin)
    html = client.post("/groups/rule-preview/", dynamic_post("", ("site", "eq", "Leeds"))).content.decode()
    assert '<strong id="match-count">3</strong> people match' in html
    one = client.post(
        "/groups/rule-preview/", dynamic_post("", ("site", "eq", "Leeds"), ("hire_date", "after", "2026-01-01"))
    )
    assert '<strong id="match-count">1</strong> person matches' in one.content.decode()
    incomplete = client.post("/groups/rule-preview/", dynamic_post("", ("site", "eq", ""))).content.decode()
    assert "Complete the conditions" in incomplete


def test_rule_row_offers_the_operators_of_its_field(admin, signed_in):
    client = signed_in(admin)
    date_row = client.get("/groups/rule-row/", {"key": "ab12", "cond-ab12-field": "hire_date", "cond-ab12-op": "after"})
    html = date_row.content.decode()
    assert 'id="row-ab12"' in html and 'type="date"' in html and ">is after</option>" in html
    site_row = client.get(
        "/groups/rule-row/", {"key": "ab12", "cond-ab12-field": "site", "cond-ab12-op": "after"}
    ).content.decode()
    assert ">is after</option>" not in site_row and 'list="dl-site"' in site_row


def test_edit_a_dynamic_groups_rule(admin, people, signed_in):
    group = group_create(
        actor=admin,
        data=GroupInput(name="Leeds", kind="dynamic", rule={"all": [{"field": "site", "op": "eq", "value": "Leeds"}]}),
    )
    client = signed_in(admin)
    form = client.get(f"/groups/{group.pk}/edit/").content.decode()
    assert 'value="Leeds"' in form and '<option value="site" selected>' in form
    client.post(f"/groups/{group.pk}/edit/", dynamic_post("York", ("site", "eq", "York")))
    group.refresh_from_db()
    assert group.name == "York" and members(group) == {people["cat"].pk}


def test_add_and_remove_members_of_a_static_group(admin, people, signed_in):
    group = group_create(actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[people["ann"].pk]))
    client = signed_in(admin)
    picker = client.get("/groups/people-picker/", {"q": "leeds", "group": group.pk}).content.decode()
    assert "Ben Leeds" in picker and "Ann Leeds" not in picker
    added = client.post(f"/groups/{group.pk}/members/add/", {"member_ids": people["ben"].pk}, HTTP_HX_REQUEST="true")
    assert '<span class="count" id="member-count">2</span>' in added.content.decode()
    client.post(f"/groups/{group.pk}/members/remove/", {"member_ids": people["ann"].pk})
    assert members(group) == {people["ben"].pk}


def test_delete_asks_for_confirmation(admin, people, signed_in):
    group = group_create(actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[people["ann"].pk]))
    client = signed_in(admin)
    confirm = client.get(f"/groups/{group.pk}/delete/").content.decode()
    assert "Delete “Drivers”?" in confirm and "1 membership" in confirm
    assert Group.objects.filter(pk=group.pk).exists()
    response = client.post(f"/groups/{group.pk}/delete/", follow=True)
    assert "Deleted the group Drivers." in response.content.decode()
    assert not Group.objects.filter(pk=group.pk).exists()


def test_a_member_id_that_is_no_number_is_named_and_nothing_is_created(admin, people, signed_in):
    response = signed_in(admin).post(
        "/groups/new/", {"kind": "static", "name": "Wardens", "member_ids": [people["ann"].pk, "x"]}
    )
    assert response.status_code == 422
    assert "must be a list of person ids" in response.content.decode()
    assert not Group.objects.filter(name="Wardens").exists()
