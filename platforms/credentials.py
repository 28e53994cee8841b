"""The credentials hook: each adapter declares a pydantic model, and the connections UI renders and validates it generically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, SecretStr


def system_field(default: Any = None, **kwargs) -> Any:
    """A credentials field filled by the system (install flow, settings), never shown on the connection form.

    Pass `...` as the default for a required one.
    """
    return Field(default, json_schema_extra={"form": False}, **kwargs)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str | Promise
    required: bool
    secret: bool
    help: str | Promise = ""


class StoreCredentials(BaseModel):
    """Base of every adapter's credentials model; secrets are `SecretStr` so they never print or log."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # "form": the merchant types the fields in; "oauth": the UI runs the platform's install flow instead.
    install: ClassVar[Literal["form", "oauth"]] = "form"
    # The field that names the store (its `scope_key`), where "already connected" and unsafe-address errors are shown.
    identity_field: ClassVar[str] = "__all__"
    # Fields that say where Koongo connects (e.g. a simulator's address): set from settings, never by a merchant.
    location_fields: ClassVar[tuple[str, ...]] = ()

    def scope_key(self) -> str:
        """A stable, secret-free name for this store, used in lock, ledger and rate-limit keys."""
        raise NotImplementedError

    def outbound_urls(self) -> list[str]:
        """The base URLs the adapter will call with these credentials, for the SSRF guard to check."""
        return []

    @classmethod
    def form_fields(cls) -> list[FormField]:
        """The fields a merchant fills in, in declaration order, with secrets flagged for a password input.

        Titles and descriptions are plain English in the model (they are its JSON schema too, marked with gettext_noop);
        the form shows them in the reader's language."""
        fields = []
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if extra.get("form") is False:
                continue
            secret = SecretStr in getattr(info.annotation, "__args__", ()) or info.annotation is SecretStr
            label = gettext_lazy(info.title) if info.title else name.replace("_", " ").capitalize()
            help_text = gettext_lazy(info.description) if info.description else ""
            fields.append(FormField(name, label, info.is_required(), secret, help_text))
        return fields
