"""Department, site and region pages beside groups: the lists with their active people, each one's people,
the audience tab bar (also on a group's page), and links to them from people's pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from duecourse.core.errors import NotFound
from duecourse.groups import selectors
from duecourse.groups.inputs import GroupInput
from duecourse.groups.services import group_create
from duecourse.testing.factories import org_unit


@pytest.fixture
def sites(tenant, make_person):
    """Leeds: two active, one deactivated; York: one active; Hull: nobody. Two departments across them."""
    leeds, york, hull = (org_unit(tenant, "site", name) for name in ("Leeds", "York", "Hull"))
    logistics, finance = org_unit(tenant, "department", "Logistics"), org_unit(tenant, "department", "Finance")
    people = {
        "ann": make_person(tenant, name="Ann Archer", job_title="Driver", site=leeds, department=logistics),
        "ben": make_person(tenant, name="Ben Baker", job_title="Clerk", site=leeds, department=finance),
        "old": make_person(tenant, name="Olga Old", site=leeds, department=logistics, active=False),
        "cat": make_person(tenant, name="Cat Cole", site=york, department=logistics),
    }
    return {"leeds": leeds, "york": york, "hull": hull, "logistics": logistics, "finance": finance, **people}


def counts(html: str) -> dict[str, str]:
    """Name → active people, as the list shows them."""
    return dict(re.findall(r">([^<]+)</a></td>\s*<td class=\"right num\" data-people-count>(\d+)<", html))


def names(html: str) -> list[str]:
    """The people listed in an org unit's people table, in order."""
    table = re.search(r'id="unit-people-table".*?</table>', html, re.S)
    assert table is not None
    return re.findall(r'<a class="strong" href="/people/\d+/">([^<]+)</a>', table.group(0))


def test_plural_paths_reverse_from_the_kind():
    assert reverse("groups:org-unit-list", args=["department"]) == "/groups/departments/"
    assert reverse("groups:org-unit-list", args=["site"]) == "/groups/sites/"
    assert reverse("groups:org-unit-detail", args=["region", 7]) == "/groups/regions/7/"
    with pytest.raises(NoReverseMatch):
        reverse("groups:org-unit-list", args=["team"])


def test_site_list_counts_active_people_of_each_site(admin, sites, other_tenant, make_person, signed_in):
    make_person(other_tenant, site=org_unit(other_tenant, "site", "Leeds"))  # another tenant's Leeds
    client = signed_in(admin)

    html = client.get("/groups/sites/").content.decode()

    assert counts(html) == {"Hull": "0", "Leeds": "2", "York": "1"}
    assert "Logistics" not in html  # departments are on their own tab
    assert '<a href="/groups/sites/" class="active" aria-current="page">Sites</a>' in html
    assert counts(client.get("/groups/departments/").content.decode()) == {"Finance": "1", "Logistics": "2"}
    assert counts(client.get("/groups/regions/").content.decode()) == {}


def test_the_list_costs_the_same_queries_however_many_units_and_pages(admin, tenant, make_person, signed_in):
    client = signed_in(admin)
    for index in range(3):
        make_person(tenant, site=org_unit(tenant, "site", f"Site {index:02}"))
    with CaptureQueriesContext(connection) as few:
        client.get("/groups/sites/", HTTP_HX_REQUEST="true")
    for index in range(3, 30):
        make_person(tenant, site=org_unit(tenant, "site", f"Site {index:02}"))
    with CaptureQueriesContext(connection) as many:
        html = client.get("/groups/sites/", HTTP_HX_REQUEST="true").content.decode()

    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(counts(html)) == 25 and "Page 1 of 2" in html
    second = client.get("/groups/sites/", {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert counts(second) == {f"Site {index}": "1" for index in range(25, 30)}


def test_search_the_list_twice_in_a_row(admin, sites, signed_in):
    client = signed_in(admin)

    first = client.get("/groups/sites/", {"q": "lee"}, HTTP_HX_REQUEST="true").content.decode()
    second = client.get("/groups/sites/", {"q": "YORK"}, HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in first and counts(first) == {"Leeds": "2"}
    assert counts(second) == {"York": "1"}
    assert "No sites match." in client.get("/groups/sites/", {"q": "paris"}).content.decode()


def test_a_site_page_lists_its_active_people_with_the_tab_bar(admin, sites, signed_in):
    leeds = sites["leeds"]

    html = signed_in(admin).get(f"/groups/sites/{leeds.pk}/").content.decode()

    assert "<h1>Leeds <span" in html and ">Site</span>" in html
    assert names(html) == ["Ann Archer", "Ben Baker"]
    assert f'<a href="/people/{sites["ann"].pk}/">' in html.replace(' class="strong"', "")
    tabs = re.search(r'<nav class="tabs" aria-label="Sections">.*?</nav>', html, re.S)
    assert tabs is not None
    assert f'<a href="/groups/sites/{leeds.pk}/" class="active" aria-current="page">People</a>' in tabs.group(0)
    assert 'href="/api/v1/people?site=Leeds&amp;active=true&amp;format=csv"' in html


def test_deactivated_people_toggle_and_search_twice(admin, sites, signed_in):
    client = signed_in(admin)
    url = f"/groups/sites/{sites['leeds'].pk}/"

    deactivated = client.get(url, {"active": "false"}, HTTP_HX_REQUEST="true").content.decode()
    everyone = client.get(url, {"active": ""}, HTTP_HX_REQUEST="true").content.decode()
    first = client.get(url, {"q": "ann", "active": "true"}, HTTP_HX_REQUEST="true").content.decode()
    second = client.get(url, {"q": "clerk", "active": "true"}, HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in deactivated and names(deactivated) == ["Olga Old"]
    assert "Deactivated people" in deactivated and "chip-inactive" in deactivated
    assert names(everyone) == ["Ann Archer", "Ben Baker", "Olga Old"]
    assert names(first) == ["Ann Archer"] and names(second) == ["Ben Baker"]
    assert 'hx-swap-oob="true"' in second and "site=Leeds&amp;q=clerk&amp;active=true&amp;format=csv" in second


def test_a_department_page_pages_its_people(admin, tenant, make_person, signed_in):
    packing = org_unit(tenant, "department", "Packing")
    for index in range(30):
        make_person(tenant, name=f"Packer {index:02}", department=packing)
    client = signed_in(admin)

    first = client.get(f"/groups/departments/{packing.pk}/").content.decode()
    second = client.get(f"/groups/departments/{packing.pk}/", {"page": 2}).content.decode()

    assert len(names(first)) == 25 and "Page 1 of 2" in first
    assert names(second) == [f"Packer {index}" for index in range(25, 30)]


def test_another_tenants_unit_another_kind_and_unknown_kinds_are_not_found(
    admin, sites, other_tenant, make_person, signed_in
):
    theirs = org_unit(other_tenant, "site", "Leeds")
    client = signed_in(admin)

    assert client.get(f"/groups/sites/{theirs.pk}/").status_code == 404
    assert client.get(f"/groups/departments/{sites['leeds'].pk}/").status_code == 404  # Leeds is a site
    assert client.get("/groups/teams/").status_code == 404
    assert client.get(f"/groups/teams/{sites['leeds'].pk}/").status_code == 404
    assert client.get("/groups/site/").status_code == 404


def test_managers_and_learners_see_no_org_unit_pages(sites, tenant, make_person, signed_in):
    manager = make_person(tenant, name="Mo Manager")
    sites["ann"].manager = manager
    sites["ann"].save()
    for person in (manager, sites["ben"]):
        client = signed_in(person)
        assert client.get("/groups/sites/").status_code == 403
        assert client.get(f"/groups/sites/{sites['leeds'].pk}/").status_code == 404


def test_a_group_page_has_the_tab_bar_with_members_active(admin, sites, signed_in):
    group = group_create(actor=admin, data=GroupInput(name="Drivers", kind="static", member_ids=[sites["ann"].pk]))

    html = signed_in(admin).get(f"/groups/{group.pk}/").content.decode()

    assert f'<a href="/groups/{group.pk}/" class="active" aria-current="page">Members</a>' in html
    assert "Ann Archer" in html


def test_the_groups_list_has_the_section_tabs(admin, signed_in):
    html = signed_in(admin).get("/groups/").content.decode()

    tabs = re.search(r'<nav class="tabs" aria-label="Audiences">.*?</nav>', html, re.S)
    assert tabs is not None
    assert re.findall(r">(\w+)</a>", tabs.group(0)) == ["Groups", "Departments", "Sites", "Regions"]
    assert 'href="/groups/" class="active"' in tabs.group(0)


def test_person_pages_link_the_units_for_those_who_may_see_them(admin, sites, tenant, make_person, signed_in):
    ann, leeds, logistics = sites["ann"], sites["leeds"], sites["logistics"]
    ann.manager = manager = make_person(tenant, name="Mo Manager")
    ann.save()

    as_admin = signed_in(admin).get(f"/people/{ann.pk}/").content.decode()
    directory = signed_in(admin).get("/people/", {"q": "ann"}).content.decode()
    as_manager = signed_in(manager).get(f"/people/{ann.pk}/").content.decode()

    assert f'<dd><a href="/groups/sites/{leeds.pk}/">Leeds</a></dd>' in as_admin
    assert f'<dd><a href="/groups/departments/{logistics.pk}/">Logistics</a></dd>' in as_admin
    assert "<dt>Region</dt><dd>—</dd>" in as_admin
    assert f'<a href="/groups/sites/{leeds.pk}/">Leeds</a>' in directory
    assert "<dd>Leeds</dd>" in as_manager and "/groups/sites/" not in as_manager


def test_the_selectors_refuse_a_kind_that_is_no_org_unit(admin, sites):
    with pytest.raises(NotFound):
        selectors.org_unit_list(actor=admin, kind="manager")
    with pytest.raises(NotFound):
        selectors.access_org_unit(actor=admin, kind="manager", org_unit_id=sites["leeds"].pk)
