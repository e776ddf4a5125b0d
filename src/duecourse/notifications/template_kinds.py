"""Email template kinds: which emails a tenant may reword, in which language, with which variables.

The one list the renderer's lookup, the editor (form, list, variables beside the form) and the docs
test read. Pure: no database.
"""

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from duecourse.notifications.models import KINDS

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

DIGEST = "digest"  # an email carrying items of several kinds
MESSAGE = "message"  # the name of the tenant's one override of every email (the older, kind-less way)
TEMPLATE_KINDS: list[tuple[str, "_StrOrPromise"]] = [*KINDS, (DIGEST, _("Several kinds in one email"))]
KIND_LABELS = dict(TEMPLATE_KINDS)
ALL_LANGUAGES = ""  # a template for every language without one of its own
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
MAX_SUBJECT_LENGTH = 300
FIELDS = ("subject", "body_text", "body_html")
FIELD_LABELS = {"subject": _("Subject"), "body_text": _("Text body"), "body_html": _("HTML body")}

# The context of every email (rendering.email_context): plain values, never models.
VARIABLES: list[tuple[str, str]] = [
    ("person.name", "the recipient's name"),
    ("person.email", "the recipient's email address"),
    ("items", "the list of items the email carries (loop: {% for item in items %})"),
    ("count", "how many items"),
    ("item", "the first item (handy when an email carries one)"),
    ("item.kind", "what happened: " + ", ".join(kind for kind, _ in KINDS)),
    ("item.headline", 'one line, e.g. "Reminder: Fire safety (due 20 Mar 2026)"'),
    ("item.target_title", "the course or path title"),
    ("item.due_date", 'the due date (a date: {{ item.due_date|date:"j M Y" }}), empty without one'),
    ("item.note", "the note given when assigning"),
    ("item.link", "the link to the training (or to the person, for a manager)"),
    ("item.about_name", "who the item is about when it is not the recipient (a manager's reminders)"),
    ("base_url", "the site's address"),
    ("invitation_link", "a link to set a password, for people who never signed in; empty otherwise"),
]


def is_template_kind(kind: str) -> bool:
    return kind in KIND_LABELS


def is_language(language: str) -> bool:
    return language == ALL_LANGUAGES or bool(LANGUAGE_PATTERN.match(language))


def base_language(locale: str) -> str:
    """en-GB → en; the language of a locale."""
    return re.split(r"[-_]", locale, maxsplit=1)[0].lower()


def lookup_keys(kinds: set[str], locale: str) -> list[tuple[str, str]]:
    """The (kind, language) templates to try, best first, for an email with items of these kinds to a
    person with this locale. After these: the tenant's "message" override, then the built-in email."""
    kind = next(iter(kinds)) if len(kinds) == 1 else DIGEST
    languages = [locale, base_language(locale), ALL_LANGUAGES] if locale else [ALL_LANGUAGES]
    return [(kind, language) for language in dict.fromkeys(languages)]
