"""The loopback SMTP server the worker tests deliver to (shared with the end-to-end tests)."""

from duecourse.testing.smtp import smtp_server, smtp_settings  # noqa: F401 - fixtures
