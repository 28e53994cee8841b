"""The Miinto partner API client library: signing, payload schemas, the client, and a simulator in `sandbox/`.

No Django models here; this package is the only place in the project that knows Miinto's wire format.
"""

from miinto.client import MiintoClient, MiintoSession
from miinto.environments import MiintoEnvironment
from miinto.markets import MARKETS, Market, market_of_shop

__all__ = ["MARKETS", "Market", "MiintoClient", "MiintoEnvironment", "MiintoSession", "market_of_shop"]
