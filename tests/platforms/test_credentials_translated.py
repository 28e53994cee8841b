"""The store-login fields each platform declares are labelled in the reader's language: titles and descriptions are
marked for the catalogues where declared and translated when the connection form is built."""

import pytest
from django.utils import translation

from platforms import registry
from tests.i18n.pseudo import PSEUDO, pseudo_locale


@pytest.mark.parametrize("code", registry.codes())
def test_every_form_field_label_and_help_goes_through_gettext(settings, code):
    with pseudo_locale(settings), translation.override(PSEUDO):
        fields = registry.credentials_model(code).form_fields()
    assert fields or registry.credentials_model(code).install == "oauth"
    for field in fields:
        assert field.label.startswith("⟦") and field.label.endswith("⟧"), (code, field.name, field.label)
        assert not field.help or (field.help.startswith("⟦") and field.help.endswith("⟧")), (code, field.name, field.help)


def test_the_english_labels_stay_as_declared():
    [shop_url] = [f for f in registry.credentials_model("prestashop").form_fields() if f.name == "shop_url"]
    assert (shop_url.label, shop_url.help) == ("Shop URL", "The shop's address, e.g. https://shop.example.com (the API is under /api)")
