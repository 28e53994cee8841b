"""Run the demo: the simulators, then the demo data against them, the web server and a worker with embedded beat.

Ctrl-C (or SIGTERM) stops them all.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from connections.demo import write_demo_catalog
from koongo.accounts.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD


def demo_environment(port: int) -> str:
    """Label, feed and order-note links must point at the port the demo serves on: SITE_URL follows it unless set.
    The add-connection wizard offers the simulator first. Returns SITE_URL.

    Written to the environment so gunicorn and the worker (children) inherit it, and to settings for seed_demo here.
    """
    os.environ.setdefault("MIINTO_DEFAULT_ENVIRONMENT", "simulator")  # the wizard's first choice in the demo
    settings.MIINTO_DEFAULT_ENVIRONMENT = os.environ["MIINTO_DEFAULT_ENVIRONMENT"]
    if not os.environ.get("SITE_URL"):
        os.environ["SITE_URL"] = f"http://127.0.0.1:{port}"
    settings.SITE_URL = os.environ["SITE_URL"].rstrip("/")
    return settings.SITE_URL


class Command(BaseCommand):
    help = "Serve the dashboard with a worker (embedded beat) and every simulator in DEMO_SERVICES."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))

    def handle(self, *args, port, **options):
        demo_environment(port)
        bin_dir = os.path.dirname(sys.executable)
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        try:
            write_demo_catalog(settings.DEMO_CATALOG_FILE)  # the store simulators load it at start
            for name, argv, ready_url in settings.DEMO_SERVICES:
                self.start(name, [sys.executable, *argv])
                self.wait_until_up(name, ready_url)
            # Demo data goes through the real services, so the simulators must answer first.
            call_command("seed_demo", stdout=self.stdout)
            # Orders, a shipment with its label, a return and a store refund, played through the real flows (rma's command).
            call_command("demo_story", stdout=self.stdout)
            web = [
                os.path.join(bin_dir, "gunicorn"),
                "koongo.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
            ]
            self.start("web", web)
            # -B embeds beat: the demo's one scheduler; docker-compose runs beat as its own service instead.
            self.start(
                "worker", [os.path.join(bin_dir, "celery"), "-A", "koongo", "worker", "-B", "-l", "info", "--concurrency", "2"]
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"\n  Dashboard:  http://127.0.0.1:{port}/\n  Login:      {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                    f"  Admin:      http://127.0.0.1:{port}/admin/  (admin / {DEMO_PASSWORD})\n"
                    f"  API docs:   http://127.0.0.1:{port}/api/docs/\n"
                    f"  Simulators: Miinto {settings.MIINTO_SIMULATOR_URL}/_sandbox/summary, stores {settings.STORE_SIMULATOR_URL}/<platform>/\n"
                    "  Stop with Ctrl-C.\n"
                )
            )
            while not self.stopping:
                for name, child in self.children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping the demo")
                        self.stopping = True
                time.sleep(0.5)
        finally:
            self.stop_all()

    def start(self, name: str, argv: list[str]) -> None:
        self.stdout.write(f"starting {name}: {' '.join(argv[1:] if argv[0] == sys.executable else argv)}")
        self.children.append((name, subprocess.Popen(argv, start_new_session=True)))

    def stop(self, *_):
        self.stopping = True

    def stop_all(self) -> None:
        for _, child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for _, child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        self.stdout.write("demo stopped")

    def wait_until_up(self, name: str, url: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"{name} did not answer at {url} within {timeout:.0f} s")
