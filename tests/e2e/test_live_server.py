"""The browser tests' server on the in-memory SQLite test database answers one request at a time (threads
sharing its one connection could wait for each other forever: duecourse.testing.live_server)."""

import pytest
from django.db import connection
from django.test.testcases import LiveServerThread

from duecourse.testing.live_server import OneRequestAtATimeServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_sqlite_the_live_server_is_not_threaded_and_a_page_loads_its_parts(page, sign_in, ada):
    from playwright.sync_api import expect

    if connection.vendor == "sqlite":
        assert LiveServerThread.server_class is OneRequestAtATimeServer
    sign_in(ada)
    for _ in range(5):  # the home page loads its summary and the bell in parallel
        page.goto("/")
        expect(page.locator("#overview-at-risk")).to_be_visible()
        page.wait_for_load_state("networkidle")
