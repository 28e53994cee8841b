"""The JavaScript strings' catalogue: a script file at /jsi18n/ (the CSP allows scripts from 'self' only, no inline
ones), in the reader's language, loaded by every page before app.js so app.js may call gettext()."""

import re

from django.conf import settings


def test_the_catalogue_is_a_script_in_the_readers_language(client, db):
    answer = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="pl")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/javascript")
    script = answer.content.decode()
    assert "django.gettext = function" in script and "interpolate" in script
    assert "n%10>=2" in script  # Polish plural rules: the catalogue is Polish, not the English fallback
    assert "'self'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]


def test_every_page_loads_it_before_app_js(client, db):
    page = client.get("/login/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts.index("/jsi18n/") < next(i for i, src in enumerate(scripts) if src.endswith("koongo/app.js"))
    assert "<script>" not in page  # nothing inline: the CSP would block it
