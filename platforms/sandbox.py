"""Serve every installed store simulator on one loopback port, each under `/<platform code>/`, for the demo.

python -m platforms.sandbox --port 8766 --seed 1 [--catalog demo-catalog.json]
"""

from __future__ import annotations

import argparse
import json
import threading

from koongo.sandbox_kit import PrefixMount, StoreSandboxApp, serve
from platforms import registry


def build_simulators(seed: int = 1) -> dict[str, StoreSandboxApp]:
    """One simulator per installed platform, keyed by platform code."""
    return {code: registry.sandbox_class(code)(seed) for code in registry.codes()}


def seed_catalog(simulators: dict[str, StoreSandboxApp], items: list[dict]) -> None:
    """Put the same demo catalog (`CatalogItem` dicts) into every simulator's demo account."""
    for simulator in simulators.values():
        with simulator.lock:
            simulator.seed_products(items)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--catalog", help="a JSON file holding a list of catalog items to seed into every store")
    args = parser.parse_args(argv)
    simulators = build_simulators(args.seed)
    if args.catalog:
        with open(args.catalog, encoding="utf-8") as file:
            seed_catalog(simulators, json.load(file))
    server = serve(PrefixMount(simulators), host=args.host, port=args.port)
    base = f"http://{args.host}:{server.server_port}"
    for code in simulators:
        print(f"{code}: {base}/{code}/  (control: {base}/{code}/_sandbox/)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
