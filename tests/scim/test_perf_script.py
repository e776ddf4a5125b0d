"""The first-sync timing script still runs (a small sync), so its figure in docs/scim-protocol.md can be
measured again."""

import importlib.util
from pathlib import Path

import pytest

from duecourse.groups.models import GroupMember
from duecourse.people.models import Person

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_a_small_first_sync(capsys, api_without_static_files):
    spec = importlib.util.spec_from_file_location("perf_scim_sync", Path(__file__).with_name("perf_scim_sync.py"))
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(120, 2)
    assert "120 users in" in capsys.readouterr().out
    assert Person.objects.filter(email__startswith="user").count() == 120
    assert Person.objects.filter(email__startswith="user", manager__isnull=False).count() == 119
    assert GroupMember.objects.count() == 120
