"""The test OpenID Connect provider does what the SSO tests rely on, proven with a generic relying party (Authlib's
requests client and its JOSE decoder), not with duecourse's code."""

import base64
import json
import time
import warnings

import pytest
import requests
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.requests_client import OAuth2Session

from duecourse.testing.oidc import DEFAULT_PASSWORD, MISBEHAVIOURS, ProviderError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)  # authlib.jose points to joserfc, not installed
    from authlib.jose import JsonWebKey, jwt
    from authlib.jose.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError, UnsupportedAlgorithmError

pytestmark = pytest.mark.slow

CALLBACK = "http://127.0.0.1:9/callback"  # never opened: the tests read the code from the redirect


class RelyingParty:
    """A generic OpenID Connect client of the provider, for one registered client."""

    def __init__(self, provider, scope="openid email profile"):
        self.provider = provider
        self.client_id, self.client_secret = provider.client(CALLBACK)
        self.metadata = provider.discovery()
        self.scope = scope

    def session(self):
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scope,
            redirect_uri=CALLBACK,
            code_challenge_method="S256",
        )

    def sign_in(self, email, password=DEFAULT_PASSWORD, browser=None):
        """The authorization code flow with PKCE and a nonce -> (token response, nonce sent)."""
        session, verifier, nonce = self.session(), generate_token(48), generate_token(20)
        url, _state = session.create_authorization_url(
            self.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback = self.provider.sign_in(url, email, password, session=browser)
        token = session.fetch_token(
            self.metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
        return token, nonce

    def validate(self, id_token, nonce, jwks=None):
        """Authlib's checks: RS256 signature against the JWKS, then iss, aud, exp, iat and nonce."""
        keys = JsonWebKey.import_key_set(jwks or self.provider.jwks())
        claims = jwt.decode(
            id_token,
            keys,
            claims_options={
                "iss": {"essential": True, "value": self.provider.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "exp": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            },
        )
        claims.validate()
        return claims


def unverified(id_token):
    """(header, claims) of a JWT, read without any check."""
    header, payload = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in id_token.split(".")[:2]
    )
    return header, payload


def defects(rp, id_token, nonce):
    """What is wrong with the token, check by check (each check looks at one thing only)."""
    header, claims = unverified(id_token)
    found = set()
    if header["alg"] == "none":
        found.add("unsigned")
    else:
        try:
            jwt.decode(id_token, JsonWebKey.import_key_set(rp.provider.jwks()))
        except BadSignatureError:
            found.add("tampered_signature")
    if claims["aud"] != rp.client_id:
        found.add("wrong_audience")
    if claims["exp"] <= time.time():
        found.add("expired")
    if claims.get("nonce") != nonce:
        found.add("wrong_nonce")
    if claims["iss"] != rp.provider.issuer:
        found.add("wrong_issuer")
    return found


@pytest.fixture
def rp(oidc_provider):
    return RelyingParty(oidc_provider)


@pytest.fixture
def ada(oidc_provider):
    return oidc_provider.add_user(
        "ada@acme.test",
        name="Ada Lovelace",
        given_name="Ada",
        family_name="Lovelace",
        department="People",
        manager_email="grace@acme.test",
    )


def test_discovery_names_the_issuer_keys_and_endpoints(oidc_provider):
    metadata = oidc_provider.discovery()

    assert metadata["issuer"] == oidc_provider.issuer
    assert oidc_provider.issuer.startswith("http://127.0.0.1:") and oidc_provider.issuer.endswith("/o")
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert metadata[endpoint].startswith(oidc_provider.issuer + "/")
    assert metadata["end_session_endpoint"] == oidc_provider.issuer + "/logout/"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert {"email", "email_verified", "name", "department", "manager_email"} <= set(metadata["claims_supported"])
    assert [key["alg"] for key in oidc_provider.jwks()["keys"]] == ["RS256"]


def test_code_flow_with_pkce_gives_an_id_token_that_validates_with_the_claims(rp, ada):
    token, nonce = rp.sign_in("ada@acme.test")

    claims = rp.validate(token["id_token"], nonce)
    assert claims["sub"] == ada
    assert claims["email"] == "ada@acme.test" and claims["email_verified"] is True
    assert (claims["name"], claims["given_name"], claims["family_name"]) == ("Ada Lovelace", "Ada", "Lovelace")
    assert (claims["department"], claims["manager_email"]) == ("People", "grace@acme.test")
    header, _ = unverified(token["id_token"])
    assert header["kid"] == rp.provider.jwks()["keys"][0]["kid"]

    userinfo = requests.get(
        rp.metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    ).json()
    assert userinfo["sub"] == ada and userinfo["department"] == "People" and userinfo["email"] == "ada@acme.test"


def test_profile_claims_need_the_profile_scope(oidc_provider, ada):
    rp = RelyingParty(oidc_provider, scope="openid email")
    token, nonce = rp.sign_in("ada@acme.test")

    claims = rp.validate(token["id_token"], nonce)
    assert claims["email"] == "ada@acme.test"
    assert "department" not in claims and "name" not in claims


def test_an_unverified_email_says_so(rp, oidc_provider):
    oidc_provider.add_user("new@acme.test", email_verified=False)
    token, nonce = rp.sign_in("new@acme.test")

    assert rp.validate(token["id_token"], nonce)["email_verified"] is False


def test_pkce_is_required(rp, ada):
    session = rp.session()
    url, _state = session.create_authorization_url(rp.metadata["authorization_endpoint"], nonce="n")

    callback = rp.provider.sign_in(url, "ada@acme.test")
    assert callback.startswith(CALLBACK + "?error=invalid_request")


def test_a_wrong_password_does_not_sign_in(rp, ada):
    with pytest.raises(ProviderError, match="sign-in did not get through"):
        rp.sign_in("ada@acme.test", password="wrong")


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("wrong_audience", InvalidClaimError),
        ("expired", ExpiredTokenError),
        ("tampered_signature", BadSignatureError),
        ("wrong_nonce", InvalidClaimError),
        ("wrong_issuer", InvalidClaimError),
        ("unsigned", UnsupportedAlgorithmError),
    ],
)
def test_each_misbehaviour_puts_exactly_its_defect_into_the_next_id_tokens(rp, ada, mode, error):
    assert mode in MISBEHAVIOURS
    token, nonce = rp.sign_in("ada@acme.test")
    assert defects(rp, token["id_token"], nonce) == set()

    rp.provider.misbehave(mode)
    for _ in range(2):  # every token until it is told otherwise
        token, nonce = rp.sign_in("ada@acme.test")
        assert defects(rp, token["id_token"], nonce) == {mode}
        with pytest.raises(error):
            rp.validate(token["id_token"], nonce)

    rp.provider.misbehave(None)
    token, nonce = rp.sign_in("ada@acme.test")
    rp.validate(token["id_token"], nonce)


def test_an_unknown_misbehaviour_is_refused(oidc_provider):
    with pytest.raises(ValueError, match="unknown misbehaviour"):
        oidc_provider.misbehave("sloppy")


def test_rotating_keys_replaces_the_kid_and_signs_new_tokens_with_the_new_key(rp, ada):
    old_jwks = rp.provider.jwks()
    before, nonce_before = rp.sign_in("ada@acme.test")

    rp.provider.rotate_keys()

    new_jwks = rp.provider.jwks()
    assert len(new_jwks["keys"]) == 1 and new_jwks["keys"][0]["kid"] != old_jwks["keys"][0]["kid"]
    after, nonce = rp.sign_in("ada@acme.test")
    assert unverified(after["id_token"])[0]["kid"] == new_jwks["keys"][0]["kid"]
    assert rp.validate(after["id_token"], nonce, jwks=new_jwks)["sub"] == ada
    with pytest.raises(ValueError, match="Key not found"):  # a relying party holding the old JWKS must refetch it
        rp.validate(after["id_token"], nonce, jwks=old_jwks)
    with pytest.raises(ValueError, match="Key not found"):  # the old key has left the JWKS
        rp.validate(before["id_token"], nonce_before, jwks=new_jwks)


def test_end_session_signs_out_and_returns_to_the_relying_party(rp, ada):
    browser = requests.Session()
    token, _nonce = rp.sign_in("ada@acme.test", browser=browser)

    response = browser.get(
        rp.metadata["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:9/signed-out/",
            "state": "s1",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:9/signed-out/?state=s1"
    authorization, _state = rp.session().create_authorization_url(
        rp.metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
    )
    again = browser.get(authorization, allow_redirects=False, timeout=10)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login/")  # signed out


def test_end_session_accepts_an_id_token_hint_from_before_a_key_rotation(rp, ada):
    browser = requests.Session()
    token, _nonce = rp.sign_in("ada@acme.test", browser=browser)
    rp.provider.rotate_keys()

    response = browser.get(
        rp.metadata["end_session_endpoint"],
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9/signed-out/"},
        allow_redirects=False,
        timeout=10,
    )

    assert (response.status_code, response.headers["Location"]) == (302, "http://127.0.0.1:9/signed-out/")


def test_end_session_refuses_to_return_anywhere_but_loopback(rp, ada):
    token, _nonce = rp.sign_in("ada@acme.test")

    response = requests.get(
        rp.metadata["end_session_endpoint"],
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": "http://evil.example/"},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 400


def test_reset_forgets_users_clients_and_misbehaviour(rp, ada, oidc_provider):
    oidc_provider.misbehave("expired")

    oidc_provider.reset()

    with pytest.raises(ProviderError):  # the client is gone: the provider shows an error page, no redirect
        rp.sign_in("ada@acme.test")
    fresh = RelyingParty(oidc_provider)
    with pytest.raises(ProviderError):  # so is the user
        fresh.sign_in("ada@acme.test")
    oidc_provider.add_user("ada@acme.test")
    token, nonce = fresh.sign_in("ada@acme.test")
    assert fresh.validate(token["id_token"], nonce)["sub"] != ada


def test_the_control_endpoints_want_the_secret_and_name_bad_fields(oidc_provider, ada):
    refused = requests.post(oidc_provider.base_url + "/test/reset", json={}, timeout=10)
    assert refused.status_code == 403
    with pytest.raises(ProviderError, match="email: ada@acme.test is already a user"):
        oidc_provider.add_user("ada@acme.test")
    with pytest.raises(ProviderError, match="redirect_uri"):
        oidc_provider.client("")
