"""A real SMTP server on loopback (aiosmtpd) that records what it accepts, and can refuse or go away.

The fixtures `smtp_server` and `smtp_settings` are imported by the conftest or test module that needs
them (tests/worker/conftest.py, tests/e2e/test_certificate_lifecycle.py)."""

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.refuse_with: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.received]


class SmtpServer:
    """start() / stop() may be called again: the server comes back on the same port (an outage)."""

    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def start(self):
        # A fixed greeting name: without one aiosmtpd calls socket.getfqdn() for every connection on its event
        # loop, and a slow DNS answer on a CI machine stalls the greeting past the client's timeout.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, server_hostname="smtp.test")
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Point Django's SMTP backend at the loopback server through the real DUECOURSE_EMAIL_URL parsing."""
    from duecourse.config.settings import _email_settings

    for key, value in _email_settings(smtp_server.url).items():
        setattr(settings, key, value)
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    return settings
