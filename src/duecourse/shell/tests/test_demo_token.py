"""The API token `duecourse serve --demo` prints works for a week, then answers 401."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from duecourse.core import clock
from duecourse.people.models import ApiToken
from duecourse.shell.demo import TOKEN_VALID_DAYS, demo_load

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_without_static_files")]


def me(token: str) -> int:
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_the_printed_demo_token_expires_after_seven_days():
    start = clock.now()
    ((_email, token),) = demo_load().tokens.items()

    assert TOKEN_VALID_DAYS == 7
    assert me(token) == 200
    (stored,) = ApiToken.objects.filter(name="demo (serve --demo)")
    assert start + dt.timedelta(days=7) <= stored.expires_at <= clock.now() + dt.timedelta(days=7)
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        assert me(token) == 200
    with time_machine.travel(clock.now() + dt.timedelta(days=7, seconds=1), tick=False):
        assert me(token) == 401
