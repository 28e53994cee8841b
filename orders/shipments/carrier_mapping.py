"""Store carrier → Miinto shipping provider: the per-connection mapping table, name-based defaults, and the fallback.

`provider_for` is pure: an explicit mapping first, then a match by carrier name, then the Default Shipping Service.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connections.models import MiintoConnection
from orders.models import CarrierMapping, ProviderSource

# The names stores use for a carrier, grouped under one canonical name. Miinto's providers are matched on
# their name and on the slug of their id (`gls-dk` → `gls`), so a store saying "General Logistics Systems"
# finds Miinto's "GLS" without a mapping row.
ALIASES: dict[str, tuple[str, ...]] = {
    "gls": ("General Logistics Systems", "GLS Denmark", "GLS Sweden"),
    "postnord": ("Post Nord", "Post Danmark", "PostDanmark", "Posten Sverige", "PostNord MyPack", "PostNord Logistics"),
    "dao": ("DAO365", "DAO Pakkeshop"),
    "dhl": ("DHL Express", "DHL Paket", "DHL Parcel", "DHL Freight", "DHL eCommerce", "Deutsche Post DHL"),
    "ups": ("United Parcel Service", "UPS Standard", "UPS Express"),
    "fedex": ("Federal Express", "FedEx Express", "TNT"),
    "bring": ("Posten", "Posten Bring", "Posten Norge", "Bring Parcels"),
    "budbee": (),
    "instabox": ("Instabee",),
    "dpd": ("DPD Group", "DPD Local", "DPD Predict"),
    "hermes": ("Hermes Germany", "myHermes"),
    "evri": ("Hermes UK",),
    "royalmail": ("Royal Mail", "Royal Mail Tracked", "Parcelforce"),
    "postnl": ("Post NL",),
    "bpost": ("bpack", "Belgian Post"),
    "inpost": ("InPost Paczkomaty",),
    "swisspost": ("Swiss Post", "Die Post", "La Poste Suisse", "PostCH"),
    "correos": ("Correos Express",),
    "seur": (),
    "brt": ("Bartolini",),
    "poste": ("Poste Italiane",),
    "posti": ("Itella",),
    "colissimo": ("La Poste", "La Poste Colissimo"),
    "mondialrelay": ("Mondial Relay",),
    "sf": ("SF Express", "Shunfeng"),
    "ems": ("China EMS", "China Post EMS", "China Post"),
}
# First words that name no carrier on their own ("DHL Express" → "dhl" helps; "La Poste" → "la" would mislead).
GENERIC_WORDS = frozenset(
    {"la", "le", "the", "die", "de", "post", "express", "parcel", "parcels", "freight", "logistics", "china", "swiss"}
)


def carrier_key(name: str | None) -> str:
    """A carrier name normalised for matching: accents dropped, lower case, letters and digits only."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in text if ch.isalnum())


_CANONICAL = {carrier_key(alias): canonical for canonical, names in ALIASES.items() for alias in (canonical, *names)}


def canonical(name: str | None) -> str:
    key = carrier_key(name)
    return _CANONICAL.get(key, key)


def _name_keys(name: str | None) -> set[str]:
    """The canonical names a carrier or provider name stands for: a known alias, else itself and its first word."""
    key = carrier_key(name)
    if key in _CANONICAL:
        return {_CANONICAL[key]}
    keys = {key}
    words = (name or "").split()
    if len(words) > 1 and carrier_key(words[0]) not in GENERIC_WORDS:
        keys.add(canonical(words[0]))
    keys.discard("")
    return keys


@dataclass(frozen=True)
class Provider:
    """One of Miinto's shipping providers for an order."""

    id: str
    name: str

    def keys(self) -> set[str]:
        slug = self.id.rsplit("-", 1)[0] if "-" in self.id else self.id
        return _name_keys(self.name) | _name_keys(slug)


@dataclass(frozen=True)
class Resolution:
    provider_id: str
    provider_name: str
    source: str

    @property
    def source_label(self) -> str:
        """How the provider was found, in words (the raw `source` is the stored code)."""
        return ProviderSource(self.source).label


def provider_for(
    carrier: str | None,
    providers: Iterable[Provider],
    *,
    mappings: Mapping[str, str] | None = None,
    default_id: str = "",
) -> Resolution | None:
    """The provider for a store carrier among the providers Miinto allows for the order, or None.

    `mappings` maps carrier keys to provider ids. A mapping or default naming a provider that this order does
    not allow is passed over, since Miinto would refuse it.
    """
    providers = list(providers)
    allowed = {p.id: p for p in providers}
    key = carrier_key(carrier)
    mapped = (mappings or {}).get(key) if key else None
    if mapped in allowed:
        return Resolution(mapped, allowed[mapped].name, ProviderSource.MAPPING)
    wanted = _name_keys(carrier)
    if wanted:
        for provider in providers:
            if wanted & provider.keys():
                return Resolution(provider.id, provider.name, ProviderSource.CARRIER_NAME)
    if default_id and default_id in allowed:
        return Resolution(default_id, allowed[default_id].name, ProviderSource.DEFAULT)
    return None


# --- the mapping table ---------------------------------------------------------------------


@transaction.atomic
def carrier_mapping_set(
    *,
    merchant,
    connection: MiintoConnection,
    carrier: str,
    provider_id: str,
    provider_name: str = "",
    mapping: CarrierMapping | None = None,
) -> CarrierMapping:
    """Map a carrier to a provider on this connection: edit `mapping`, or add one (replacing the carrier's existing mapping)."""
    key = carrier_key(carrier)
    if not key:
        raise ValidationError({"carrier": _("Name the carrier as the store reports it.")})
    if not provider_id:
        raise ValidationError({"provider_id": _("Choose one of Miinto's shipping providers.")})
    same_carrier = CarrierMapping.objects.filter(connection=connection, carrier_key=key)
    if mapping is None:
        mapping = same_carrier.first() or CarrierMapping(merchant=merchant, connection=connection)
    elif same_carrier.exclude(pk=mapping.pk).exists():
        raise ValidationError({"carrier": _("%(carrier)s is mapped already on this connection; edit that mapping.") % {"carrier": carrier.strip()}})
    mapping.carrier, mapping.carrier_key, mapping.provider_id, mapping.provider_name = (
        carrier.strip()[:200],
        key[:200],
        provider_id,
        provider_name,
    )
    mapping.updated_at = timezone.now()
    mapping.save()
    return mapping


@transaction.atomic
def carrier_mapping_delete(*, merchant, mapping: CarrierMapping) -> None:
    """Remove a mapping; the carrier falls back to its name match or the Default Shipping Service."""
    CarrierMapping.objects.filter(pk=mapping.pk, merchant=merchant).delete()
