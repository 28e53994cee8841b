"""The rules of a connection's settings in one place: the dashboard form, the API serializers and the admin all run them.

Choices that come from the store (identifier attributes) or from Miinto (shipping providers) are checked against the
live, cached lists; a value already saved is kept even if the list no longer offers it, so an unrelated edit never
fails because the store is down.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SYNC_INTERVAL_VALIDATORS = [MinValueValidator(1, gettext_lazy("Sync at most once a minute: enter 1 or more minutes."))]


def unknown_attribute_message(value: str, choices: list[tuple[str, str]]) -> str:
    return _("Unknown attribute %(value)s. Choose one of: %(choices)s.") % {"value": repr(value), "choices": ", ".join(code for code, _label in choices)}


def unknown_provider_message(value: str) -> str:
    return _("Unknown shipping provider %(value)s for this Miinto market.") % {"value": repr(value)}


def check_identification_attribute(value: str, choices: list[tuple[str, str]]) -> None:
    if value not in dict(choices):
        raise ValidationError(unknown_attribute_message(value, choices), code="unknown_attribute")


def check_shipping_provider(value: str, choices: list[tuple[str, str]]) -> None:
    if value and value not in dict(choices):
        raise ValidationError(unknown_provider_message(value), code="unknown_provider")


class YesNoField(forms.TypedChoiceField):
    """A Yes/No select that accepts only its two answers: `maybe` is an error, never a yes."""

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        super().__init__(choices=[("False", gettext_lazy("No")), ("True", gettext_lazy("Yes"))], coerce=lambda value: value == "True", empty_value=False,
                         **kwargs)
