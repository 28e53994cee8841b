"""The add-store form of every platform speaks the reader's language: the field labels and help the adapters declare
(plain English in their credentials models) reach the page through gettext, and the crawl of tests/i18n sees only one
platform's form."""

import re

import pytest
from django.utils import translation

from platforms import registry
from tests.i18n.pseudo import PSEUDO, pseudo_locale, unmarked_texts

FORM = re.compile(r'<form method="post" novalidate class="card card-body col-lg-6">.*?</form>', re.S)


@pytest.mark.parametrize("platform", [code for code in registry.adapters() if registry.credentials_model(code).install == "form"])
def test_the_add_store_form_of_each_platform_is_translated(settings, owner_client, platform):
    with pseudo_locale(settings) as headers, translation.override(PSEUDO):
        html = owner_client.get(f"/stores/add/?platform={platform}", **headers).content.decode()
    form = FORM.search(html).group(0)
    assert "⟦Connection name⟧" in form
    assert unmarked_texts(form) == []
