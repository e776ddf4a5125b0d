"""The one parser of token forms: a bearer token and Frappe's key pair are the same token."""

import base64

import pytest

from duecourse.people.token_format import key_pair, split_token, token_from_authorization

TOKEN = "dc_0a1b2c3d4e5f_sec_ret-Part"


def test_the_key_pair_is_the_token_split_at_its_second_underscore():
    assert key_pair(TOKEN) == ("dc_0a1b2c3d4e5f", "sec_ret-Part")
    assert split_token(TOKEN) == ("0a1b2c3d4e5f", "sec_ret-Part")


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {TOKEN}",
        f"bearer   {TOKEN}",
        "token dc_0a1b2c3d4e5f:sec_ret-Part",
        "Token dc_0a1b2c3d4e5f:sec_ret-Part",
        "Basic " + base64.b64encode(b"dc_0a1b2c3d4e5f:sec_ret-Part").decode(),
    ],
)
def test_every_accepted_form_gives_the_same_token(header):
    assert token_from_authorization(header) == TOKEN


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer not-ours",
        "token dc_0a1b2c3d4e5f",  # no secret
        "token dc_0a1b2c3d4e5f:",  # empty secret
        "token 0a1b2c3d4e5f:sec_ret",  # the key without its dc_
        "token dc_0a1b_extra:secret",  # a key with a second underscore is no key of ours
        "token :secret",
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"\xff\xfe").decode(),
        "Digest dc_0a1b2c3d4e5f:secret",
        f"scim {TOKEN}",
    ],
)
def test_malformed_headers_give_no_token(header):
    assert token_from_authorization(header) is None


def test_something_that_is_not_a_token_has_no_pair():
    assert key_pair("scim_abc_def") is None
    assert key_pair("dc__secret") is None
