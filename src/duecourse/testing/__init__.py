"""What the tests share (the fixtures are listed at the top of `factories`).

factories   make_tenant, make_person, make_course, make_path, make_skill, make_equivalence, org_unit,
            target, assign
web         PASSWORD, signed_in, sign_in_page, text, field_error, nav_labels, click_nav
api         ApiClient, api_token
scheduling  utc, frozen_at, tick, worker_once, assign_at, complete_at, inbox, pending_reminders
smtp        SmtpServer; fixtures smtp_server, smtp_settings (a real SMTP server on loopback)

Marks: `slow` (real processes, the browser, the fuzzer); `python -m pytest -m "not slow"` is the quick loop.
"""
