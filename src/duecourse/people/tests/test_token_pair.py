"""Any API token shown as Frappe's key pair: api_key = `dc_<prefix>`, api_secret = the rest, secret shown once."""

import re

import pytest

from duecourse.compat.tests.conftest import MINE
from duecourse.people.models import ApiToken

pytestmark = pytest.mark.django_db


def test_creating_a_token_through_the_api_answers_the_pair_too(admin_api, learner, api_without_static_files):
    response = admin_api.post(f"people/{learner.pk}/tokens", {"name": "HR script"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"] == f"{body['api_key']}_{body['api_secret']}"
    assert body["api_key"] == f"dc_{body['prefix']}"
    listed = admin_api.get(f"people/{learner.pk}/tokens").json()
    assert [(t["api_key"], t["api_secret"], t["token"]) for t in listed] == [(body["api_key"], None, None)]


def test_the_pair_from_the_api_signs_a_frappe_call_in(admin_api, learner, api_without_static_files):
    body = admin_api.post(f"people/{learner.pk}/tokens", {"name": "HR script"}).json()

    response = admin_api.client.get(MINE, headers={"Authorization": f"token {body['api_key']}:{body['api_secret']}"})

    assert response.status_code == 200
    assert response.json() == {"message": []}


def test_an_admin_sees_a_new_tokens_pair_once_on_the_persons_page(admin, learner, signed_in):
    client = signed_in(admin)

    html = client.post(f"/people/{learner.pk}/tokens/", {"name": "Frappe"}).content.decode()

    token = re.search(r'<code id="new-token">(dc_[^<]+)</code>', html).group(1)
    api_key = re.search(r'<code id="new-token-api-key">([^<]+)</code>', html).group(1)
    api_secret = re.search(r'<code id="new-token-api-secret">([^<]+)</code>', html).group(1)
    assert token == f"{api_key}_{api_secret}"
    again = client.get(f"/people/{learner.pk}/").content.decode()
    assert api_secret not in again  # the secret is never shown again
    assert f"<code>{ApiToken.objects.get(person=learner).api_key}</code>" in again  # the key stays listed
