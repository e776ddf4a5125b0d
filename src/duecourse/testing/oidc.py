"""A real OpenID Connect provider for the SSO tests, and the pytest fixture `oidc_provider` that drives it.

The provider is the small django-oauth-toolkit project in tests/oidc_provider/ (its README says what it does). It
runs as its own gunicorn process on 127.0.0.1, one per test session (so one per xdist worker), with its own SQLite
database in a temporary directory; it never sees duecourse's settings or database. Tests control it through its
test-only /test/... endpoints, which want the random control secret this module passes to the process.

The root conftest.py registers this module as a plugin, so any test can ask for `oidc_provider`: the running
provider with no users, no clients and no misbehaviour (it is reset before each test).

    def test_sign_in(oidc_provider, live_server, page):
        client_id, client_secret = oidc_provider.client(live_server.url + "/login/sso/callback/")
        sub = oidc_provider.add_user("ada@acme.test", name="Ada Lovelace", department="People")
        ...  # the provider's sign-in form: fields `username` (label "Email") and `password`, button "Sign in"
"""

import html
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

DEFAULT_PASSWORD = "provider-pass-1"
MISBEHAVIOURS = ("wrong_audience", "expired", "tampered_signature", "wrong_nonce", "wrong_issuer", "unsigned")
START_TIMEOUT_SECONDS = 30


class ProviderError(RuntimeError):
    pass


class OidcProvider:
    """The running provider, seen from a test. `issuer` is "http://127.0.0.1:PORT/o": discovery is at
    issuer + "/.well-known/openid-configuration", and every ID token's `iss` equals it exactly."""

    def __init__(self, issuer: str, control_secret: str) -> None:
        self.issuer = issuer
        self.base_url = issuer.removesuffix("/o")
        self._control_secret = control_secret

    def client(self, redirect_uri: str, *, name: str = "duecourse") -> tuple[str, str]:
        """Registers a confidential client (authorization code with PKCE S256, RS256 ID tokens, no consent
        screen) that may redirect to `redirect_uri` only -> (client_id, client_secret). After logout it may
        return to any http://127.0.0.1 (or localhost) address."""
        answer = self._control("clients", {"redirect_uri": redirect_uri, "name": name})
        return answer["client_id"], answer["client_secret"]

    def add_user(
        self,
        email: str,
        password: str = DEFAULT_PASSWORD,
        *,
        name: str = "",
        given_name: str = "",
        family_name: str = "",
        department: str = "",
        manager_email: str = "",
        email_verified: bool = True,
    ) -> str:
        """Adds a user who signs in with this email and password -> their subject (`sub`), a random hex string.
        The ID token and userinfo carry these as claims (email, email_verified; the rest with scope profile)."""
        answer = self._control(
            "users",
            {
                "email": email,
                "password": password,
                "name": name,
                "given_name": given_name,
                "family_name": family_name,
                "department": department,
                "manager_email": manager_email,
                "email_verified": email_verified,
            },
        )
        return answer["sub"]

    def misbehave(self, mode: str | None) -> None:
        """From now on (until misbehave(None) or reset()) every ID token the provider issues has exactly one defect:
        - "wrong_audience": `aud` is another client's id
        - "expired": `exp` an hour ago (`iat` and `auth_time` two hours ago)
        - "tampered_signature": the signature's bytes are altered (the header and claims are genuine)
        - "wrong_nonce": `nonce` is not the one the relying party sent
        - "wrong_issuer": `iss` is "http://impostor.invalid/o"
        - "unsigned": `alg` "none" and an empty signature
        Everything else about the token (and the userinfo answer) stays correct."""
        if mode is not None and mode not in MISBEHAVIOURS:
            raise ValueError(f"unknown misbehaviour {mode!r}; one of {MISBEHAVIOURS} or None")
        self._control("misbehave", {"mode": mode})

    def rotate_keys(self) -> None:
        """Signs from now on with a new RSA key with a new `kid`; the old key leaves the JWKS at once, so a relying
        party must fetch the JWKS again to validate new tokens."""
        self._control("rotate", {})

    def reset(self) -> None:
        """No users, no clients, no sessions, no misbehaviour (the signing key stays as it is)."""
        self._control("reset", {})

    # Additions for tests that do not drive a browser ----------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        response = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        return response.json()

    def jwks(self) -> dict[str, Any]:
        response = requests.get(self.discovery()["jwks_uri"], timeout=10)
        response.raise_for_status()
        return response.json()

    def sign_in(
        self,
        authorization_url: str,
        email: str,
        password: str = DEFAULT_PASSWORD,
        *,
        session: requests.Session | None = None,
    ) -> str:
        """Does what a browser does with an authorization request: opens it, posts the provider's sign-in form,
        follows the provider's redirects -> the first address outside the provider (the relying party's
        callback with `code` and `state`, or with `error`), not opened. Pass `session` to keep the provider's
        session cookie (e.g. to sign in once and then call the end_session endpoint)."""
        browser = session or requests.Session()
        response = browser.get(authorization_url, allow_redirects=False, timeout=10)
        posted = False
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.base_url + "/"):
                    return location
                response = browser.get(location, allow_redirects=False, timeout=10)
                continue
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
            next_url = re.search(r'name="next" value="([^"]*)"', response.text)
            if posted or response.status_code != 200 or not csrf or not next_url:
                raise ProviderError(f"sign-in did not get through at {response.url}: {response.status_code}")
            response = browser.post(
                response.url,
                data={
                    "csrfmiddlewaretoken": csrf.group(1),
                    "username": email,
                    "password": password,
                    "next": html.unescape(next_url.group(1)),
                },
                allow_redirects=False,
                timeout=10,
            )
            posted = True
        raise ProviderError("too many redirects at the provider")

    def _control(self, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            f"{self.base_url}/test/{endpoint}",
            json=payload,
            headers={"Authorization": f"Bearer {self._control_secret}"},
            timeout=10,
        )
        if response.status_code != 200:
            raise ProviderError(f"/test/{endpoint} answered {response.status_code}: {response.text}")
        return response.json()


class ProviderProcess:
    """The provider's gunicorn process. It listens on a socket this process binds to a free port first and hands
    over, so parallel sessions (xdist workers) can never race for a port."""

    def __init__(self, project: Path, workdir: Path) -> None:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        issuer = f"http://127.0.0.1:{listener.getsockname()[1]}/o"
        control_secret = secrets.token_urlsafe(32)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DUECOURSE_"))}
        env.update(
            PYTHONPATH=os.pathsep.join([str(project.parent), env.get("PYTHONPATH", "")]),
            DJANGO_SETTINGS_MODULE=f"{project.name}.settings",
            OIDC_PROVIDER_ISSUER=issuer,
            OIDC_PROVIDER_CONTROL_SECRET=control_secret,
            OIDC_PROVIDER_DB=str(workdir / "provider.sqlite3"),
            OIDC_PROVIDER_PARENT_PID=str(os.getpid()),  # it stops itself if this process dies without stopping it
        )
        self.log_path = workdir / "provider.log"
        with listener, self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                [
                    *(sys.executable, "-m", "gunicorn", f"{project.name}.wsgi:application"),
                    *("--bind", f"fd://{listener.fileno()}", "--worker-class", "gthread"),
                    # One worker: the misbehaviour and the signing key live in its memory.
                    *("--workers", "1", "--threads", "8", "--graceful-timeout", "2", "--chdir", str(workdir)),
                    "--no-control-socket",  # gunicorn 27 would share one control socket between processes
                ],
                env=env,
                pass_fds=[listener.fileno()],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.provider = OidcProvider(issuer, control_secret)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProviderError(f"the OIDC provider exited ({self.process.returncode}):\n{self._log_tail()}")
            try:
                self.provider.discovery()
                return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise ProviderError(f"the OIDC provider did not answer in {START_TIMEOUT_SECONDS}s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: no waiting for idle keep-alives
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def oidc_provider_process(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OidcProvider]:
    """The provider process of this test session (of this xdist worker); tests use `oidc_provider`."""
    project = request.config.rootpath / "tests" / "oidc_provider"
    if not (project / "wsgi.py").exists():
        pytest.skip(f"no OIDC provider project at {project}")
    process = ProviderProcess(project, tmp_path_factory.mktemp("oidc_provider"))
    yield process.provider
    process.stop()


@pytest.fixture
def oidc_provider(oidc_provider_process: OidcProvider) -> OidcProvider:
    """A real OpenID Connect provider on loopback, emptied for this test (see OidcProvider)."""
    oidc_provider_process.reset()
    return oidc_provider_process


def connect_tenant(provider: OidcProvider, tenant: Any, base_url: str) -> None:
    """Register duecourse at `base_url` with the provider and turn single sign-on on for `tenant` (Acme's
    domain, department and manager claims mapped), as an admin would on the Sign-in page."""
    from duecourse.people import secret_box
    from duecourse.people.models import SsoConnection

    client_id, client_secret = provider.client(base_url + "/login/sso/callback/")
    SsoConnection.objects.create(
        tenant=tenant,
        issuer=provider.issuer,
        client_id=client_id,
        client_secret_sealed=secret_box.seal(client_secret),
        allowed_domains=["acme.test"],
        claim_department="department",
        claim_manager_email="manager_email",
        enabled=True,
    )
