"""The catalogues: every language has both domains, every message is translated (none empty, none fuzzy), no
translation changes a placeholder, and the build compiles them with Babel alone (no GNU gettext on the machine).

The completeness test fails until the translators have filled every catalogue: that is its job."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys

import pytest
from babel.messages.catalog import Catalog
from django.conf import settings

from tests.i18n.catalogues import DOMAINS, LOCALE_DIR, catalogue, po_path, translated_languages
from tests.i18n.placeholders import placeholder_mismatches, placeholders

CATALOGUES = [(language, domain) for language in translated_languages() for domain in DOMAINS]


def _messages(language: str, domain: str):
    return [message for message in catalogue(language, domain) if message.id]


def test_every_language_has_both_catalogues():
    missing = [str(po_path(code, domain)) for code, _name in settings.LANGUAGES for domain in DOMAINS if not po_path(code, domain).exists()]
    assert not missing
    assert {"en", "da", "sv", "nb", "nl", "pl", "de"} <= {code for code, _name in settings.LANGUAGES}


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_message_is_translated(language, domain):
    untranslated = [
        message.id
        for message in _messages(language, domain)
        if message.fuzzy or not (all(message.string) if isinstance(message.id, tuple) else message.string)
    ]
    assert not untranslated, f"{len(untranslated)} of {language}/{domain}.po are empty or fuzzy, e.g. {untranslated[:5]}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_no_translation_changes_a_placeholder(language, domain):
    wrong = {str(message.id): problems for message in _messages(language, domain) if (problems := placeholder_mismatches(message))}
    assert not wrong, f"{language}/{domain}.po: {wrong}"


def test_the_placeholder_check_catches_a_renamed_dropped_or_added_placeholder():
    catalog = Catalog(locale="da")
    catalog.add("Accepted %(count)s positions.", "Accepterede %(antal)s positioner.")
    catalog.add("Carriers of %s", "Fragtfirmaer")
    catalog.add("Sync {flow}", "Synk {flow} {flow}")
    catalog.add("Fine %(name)s, 100%%", "Fint %(name)s, 100%%")
    catalog.add(("One order", "%(count)s orders"), ("Én ordre", "%(count)s ordrer"))
    catalog.add(("%(count)s day", "%(count)s days"), ("%(n)s dag", "%(count)s dage"))
    catalog.add("At least 97% of that price.", "Mindst 97% i forhold til den pris.", flags=["no-python-format"])
    faulty = {str(message.id) for message in catalog if message.id and placeholder_mismatches(message)}
    assert faulty == {"Accepted %(count)s positions.", "Carriers of %s", "Sync {flow}", "('%(count)s day', '%(count)s days')"}
    assert placeholders("%(a)s and %s of {b}, 5%%") == {"%(a)": 1, "%s": 1, "{b}": 1}


def test_the_build_compiles_every_catalogue_without_gnu_gettext(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    script = settings.BASE_DIR / "scripts" / "compile_messages.py"
    code = f"import runpy, sys, pathlib; m = runpy.run_path({str(script)!r}); print(len(m['compile_all'](pathlib.Path({str(locale)!r}))))"
    # No PATH: msgfmt cannot be found, only Babel (in this interpreter) is there.
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PATH": ""}, capture_output=True, text=True, check=True)
    assert int(result.stdout) == len(list(locale.glob("*/LC_MESSAGES/*.po"))) == 2 * len(settings.LANGUAGES)
    danish = gettext.GNUTranslations((locale / "da" / "LC_MESSAGES" / "django.mo").open("rb"))
    assert danish.gettext("Language") == "Sprog"
    assert danish.gettext("A message in no catalogue.") == "A message in no catalogue."  # unknown: English, never empty
