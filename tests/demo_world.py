"""The demo's world for tests: its simulators in-process, and a merchant seeded and played as `make demo` does."""

from contextlib import ExitStack, contextmanager

from catalog.demo import seed_demo_catalog
from connections import clients
from connections.demo import demo_store_catalog, seed_demo_connections
from koongo.sandbox_kit import PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator
from platforms import registry
from rma.demo_story import demo_story_play

DEMO_OWNER = "owner@tour.example"


@contextmanager
def demo_simulators(settings):
    """The demo's Miinto and five store simulators, wired for the test and for a live server's thread alike."""
    settings.STORE_SIMULATOR_URL = "http://stores.demo.test"
    miinto = MiintoSimulator(seed=1, scenario="demo", transfers=60, label_delay=20)  # as `make demo` runs it
    stores = {code: registry.sandbox_class(code)(1) for code in registry.codes()}
    for simulator in stores.values():
        simulator.seed_products(demo_store_catalog())
    mount = wsgi_transport(PrefixMount(stores))
    with ExitStack() as stack:
        stack.enter_context(clients.use_transport("miinto", wsgi_transport(miinto)))
        for code in stores:
            stack.enter_context(clients.use_transport(code, mount))
        yield


@contextmanager
def demo_world_seeded(settings):
    """Yield the demo merchant, seeded and played as `make demo` does, its simulators still wired."""
    from tests.factories import MembershipFactory

    membership = MembershipFactory(user__username=DEMO_OWNER, merchant__name="Demo Fashion ApS",
                                   merchant__timezone="Europe/Copenhagen")
    with demo_simulators(settings):
        seed_demo_connections(merchant=membership.merchant)
        seed_demo_catalog(merchant=membership.merchant)
        demo_story_play(membership.merchant)
        yield membership.merchant
