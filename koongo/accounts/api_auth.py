"""DRF authentication by merchant API key (`Authorization: Api-Key <key>`), resolving merchant and role."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from koongo.accounts.models import Merchant, MerchantApiKey
from koongo.accounts.services import api_key_touch


@dataclass
class ApiKeyPrincipal:
    """What a key authenticates as: its merchant and role, for `request.auth`."""

    key: MerchantApiKey
    merchant: Merchant

    @property
    def role(self) -> str:
        return self.key.role

    @property
    def can_write(self) -> bool:
        return self.key.can_write


class MerchantApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _space, key = header.partition(" ")
        if keyword != self.keyword:
            return None
        if not key.strip():
            raise exceptions.AuthenticationFailed(_("The Api-Key header has no key."))
        key = key.strip()
        prefix = key.partition(".")[0]
        try:
            # The key model is not scoped: it is how the scope is found. Merchant and plan come in the same query (what
            # get_from_key() does, plus the join): one round trip less on every API request.
            api_key = MerchantApiKey.objects.get_usable_keys().select_related("merchant__plan").get(prefix=prefix)
        except MerchantApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key.")) from None
        # A SHA-512 of the key (djangorestframework-api-key's hasher for high-entropy keys): microseconds, not a
        # password hasher's deliberate hundreds of milliseconds.
        if not api_key.is_valid(key) or api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        api_key_touch(api_key)
        return AnonymousUser(), ApiKeyPrincipal(api_key, api_key.merchant)

    def authenticate_header(self, request):
        return self.keyword
