"""The languages duecourse speaks, and which of them a person's locale asks for.

One home for the rule "a person's locale chooses the language": the pages (shell.middleware), the emails
sent to them (notifications) and their certificate's PDF (certificates) all ask `language_for_locale`.
"""

from django.utils.translation import get_supported_language_variant

# Each with its own name, as a language menu shows it. Django's LANGUAGES setting is this.
LANGUAGES: tuple[tuple[str, str], ...] = (("en", "English"), ("it", "Italiano"), ("de", "Deutsch"))
LANGUAGE_CODES = tuple(code for code, _ in LANGUAGES)
DEFAULT_LANGUAGE = "en"


def language_for_locale(locale: str | None) -> str | None:
    """The supported language a locale such as `it`, `de-CH` or `en_GB` asks for, or None when it asks for
    none we speak (then the browser's choice stands, or the default)."""
    if not locale:
        return None
    try:
        return get_supported_language_variant(locale.strip().replace("_", "-").lower())
    except LookupError:
        return None
