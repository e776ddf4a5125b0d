"""An API token may carry an expiry: from that moment on it answers 401 like an unknown token."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from duecourse.core import clock
from duecourse.core.actors import SystemActor
from duecourse.people.services import api_token_authenticate, api_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_without_static_files")]


def me(token: str) -> int:
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def make_token(person, **kwargs):
    return api_token_create(actor=SystemActor(tenant_id=person.tenant_id, label="test"), person=person, **kwargs)


def test_a_token_works_until_it_expires_then_answers_401(admin):
    start = clock.now()
    _, plain = make_token(admin, expires_at=start + dt.timedelta(days=7))

    assert me(plain) == 200
    with time_machine.travel(start + dt.timedelta(days=7) - dt.timedelta(seconds=5), tick=False):
        assert me(plain) == 200
    with time_machine.travel(start + dt.timedelta(days=7), tick=False):
        assert me(plain) == 401
        assert api_token_authenticate(plain) is None


def test_a_token_without_an_expiry_keeps_working(admin):
    _, plain = make_token(admin)

    with time_machine.travel(clock.now() + dt.timedelta(days=3650), tick=False):
        assert me(plain) == 200


def test_the_token_list_shows_each_expiry(admin, admin_api):
    expires = clock.now().replace(microsecond=0) + dt.timedelta(days=7)
    token, _ = make_token(admin, name="demo", expires_at=expires)
    make_token(admin, name="forever")

    listed = {t["name"]: t for t in admin_api.get(f"people/{admin.pk}/tokens").json()}

    assert dt.datetime.fromisoformat(listed["demo"]["expires_at"]) == expires
    assert listed["forever"]["expires_at"] is None
