"""The shipped translations (docs/languages.md): every app that marks strings has an Italian and a German
catalog; every entry is translated, keeps its placeholders and is not fuzzy; the committed `.mo` is the
compiled `.po`; and `makemessages` finds no marked string the catalog lacks."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

import duecourse
from duecourse.core.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES

PACKAGE = Path(duecourse.__file__).parent
TRANSLATED = [code for code in LANGUAGE_CODES if code != DEFAULT_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\{\s*[\w.]+\s*\}\}")
SOURCES = ("*.py", "*.html", "*.txt")


def _apps() -> list[Path]:
    """Every duecourse app in INSTALLED_APPS (some have no apps.py)."""
    return sorted(Path(c.path) for c in django_apps.get_app_configs() if c.name.startswith("duecourse."))


def _catalogs() -> list[tuple[str, str]]:
    return [(app.name, language) for app in _apps() if (app / "locale").is_dir() for language in TRANSLATED]


def _po(app: str, language: str) -> Path:
    return PACKAGE / app / "locale" / language / "LC_MESSAGES" / "django.po"


def _key(entry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _translations(entries) -> dict:
    return {_key(e): (e.msgstr, dict(e.msgstr_plural)) for e in entries if not e.obsolete}


@pytest.mark.parametrize(("app", "language"), _catalogs())
def test_every_entry_is_translated_with_its_placeholders(app, language):
    catalog = polib.pofile(str(_po(app, language)))
    assert [e.msgid for e in catalog.untranslated_entries()] == [], f"{app} {language}: untranslated"
    assert [e.msgid for e in catalog.fuzzy_entries()] == [], f"{app} {language}: fuzzy"
    broken = []
    for entry in catalog.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        sources = [entry.msgid] if not entry.msgid_plural else [entry.msgid_plural]
        for text in translations:
            if sorted(PLACEHOLDER.findall(text)) not in (wanted, sorted(PLACEHOLDER.findall(sources[0]))):
                broken.append(f"{entry.msgid!r} → {text!r}")
    assert broken == [], f"{app} {language}: placeholders differ"


@pytest.mark.parametrize(("app", "language"), _catalogs())
def test_the_compiled_catalog_is_the_catalog(app, language):
    po = _po(app, language)
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run compilemessages in src/duecourse/{app}"
    assert _translations(polib.mofile(str(mo))) == _translations(polib.pofile(str(po)).translated_entries()), (
        f"{mo} is not the compiled {po.name}: run compilemessages in src/duecourse/{app}"
    )


@pytest.mark.slow
def test_makemessages_finds_nothing_the_catalogs_lack(tmp_path, monkeypatch):
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext is not installed (apt-get install gettext); .ci/run installs it")
    problems = []
    for app in _apps():
        copy = tmp_path / app.name
        shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        (copy / "locale").mkdir(exist_ok=True)
        monkeypatch.chdir(copy)
        call_command("makemessages", locale=TRANSLATED, verbosity=0, no_location=True, no_obsolete=True)
        for language in TRANSLATED:
            found = copy / "locale" / language / "LC_MESSAGES" / "django.po"
            marked = {_key(e) for e in polib.pofile(str(found)) if not e.obsolete} if found.exists() else set()
            shipped = _po(app.name, language)
            kept = {_key(e) for e in polib.pofile(str(shipped)) if not e.obsolete} if shipped.exists() else set()
            if marked - kept:
                problems.append(f"{app.name} {language}: {sorted(m for _, m in marked - kept)[:10]}")
            if kept - marked:
                unmarked = sorted(m for _, m in kept - marked)[:10]
                problems.append(f"{app.name} {language} keeps strings no longer marked: {unmarked}")
    assert problems == [], "run makemessages in these apps (docs/languages.md):\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_text_reads_the_same_in_every_app(language):
    """Django merges the apps' catalogs (the first app in INSTALLED_APPS wins), so one English text with two
    translations shows only one of them anyway; give a different meaning its own context instead."""
    first: dict[tuple[str, str], tuple[str, tuple[str, str]]] = {}
    differing = []
    for app, _ in [c for c in _catalogs() if c[1] == language]:
        for entry in polib.pofile(str(_po(app, language))).translated_entries():
            translated = (entry.msgstr, str(sorted(entry.msgstr_plural.items())))
            owner, earlier = first.setdefault(_key(entry), (app, translated))
            if earlier != translated:
                differing.append(f"{entry.msgid!r}: {owner} {earlier[0]!r}, {app} {translated[0]!r}")
    assert differing == []
