"""OpenAPI description of our API-key authentication; imported in AppConfig.ready() to avoid an import cycle."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from koongo.accounts.api_auth import MerchantApiKeyAuthentication


class MerchantApiKeyScheme(OpenApiAuthenticationExtension):
    """Describes the API-key header in the OpenAPI schema."""

    target_class = MerchantApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Api-Key <key>"}
