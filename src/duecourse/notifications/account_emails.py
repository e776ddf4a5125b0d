"""Emails about a person's own account (a password reset link): written to the outbox ready to send,
in the transaction of the request, once per dedup key; the worker delivers them with retries."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from duecourse.core import clock
from duecourse.notifications.ready_emails import ready_email_write
from duecourse.notifications.rendering import recipient_language
from duecourse.people.limits import PASSWORD_RESET_SECONDS
from duecourse.people.models import Person

PASSWORD_RESET_SUBJECT = gettext_lazy("Reset your duecourse password")  # noqa: S105 (a subject)


def password_reset_email(*, person: Person, link: str, dedup_key: str) -> None:
    now = clock.now()
    context = {"person": person, "link": link, "minutes": PASSWORD_RESET_SECONDS // 60}
    with recipient_language(person):  # the words are fixed now, in the recipient's language
        subject = str(PASSWORD_RESET_SUBJECT)
        body_text = render_to_string("notifications/email/password_reset.txt", context)
        body_html = render_to_string("notifications/email/password_reset.html", context)
    ready_email_write(
        person=person, subject=subject, body_text=body_text, body_html=body_html, dedup_key=dedup_key, now=now
    )
