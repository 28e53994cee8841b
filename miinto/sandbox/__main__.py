"""Serve the Miinto simulator on loopback: `python -m miinto.sandbox --port 8765 --seed 1 --transfers 200`."""

from __future__ import annotations

import argparse
import threading

from koongo.sandbox_kit import serve
from miinto.environments import MiintoEnvironment
from miinto.sandbox.app import MiintoSimulator
from miinto.sandbox.demo import DEMO_PASSWORD, DEMO_USERNAME


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m miinto.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--transfers", type=int, default=50, help="pending transfers in the demo scenario")
    parser.add_argument("--scenario", choices=("demo", "empty"), default="demo")
    parser.add_argument("--label-delay", type=float, default=60.0, help="seconds after acceptance until a label exists")
    args = parser.parse_args(argv)

    app = MiintoSimulator(args.seed, scenario=args.scenario, transfers=args.transfers, label_delay=args.label_delay)
    server = serve(app, args.host, args.port)
    base = f"http://{args.host}:{server.server_port}"
    environment = MiintoEnvironment.simulator(base)
    print(f"Miinto simulator on {base} (seed {args.seed}, scenario {args.scenario}, {len(app.state.transfers)} transfers)")
    for label, url in (
        ("auth", environment.auth_url),
        ("order", environment.order_url),
        ("stock", environment.stock_url),
        ("product map", environment.product_map_url),
    ):
        print(f"  {label:<12} {url}")
    if args.scenario == "demo":
        print(f"  login        {DEMO_USERNAME} / {DEMO_PASSWORD}")
    print(f"  control API  {base}/_sandbox/summary", flush=True)  # a pipe buffers; whoever waits for the banner must see it
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
