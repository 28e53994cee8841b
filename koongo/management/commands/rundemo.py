"""Run the demo: the simulators, the web server and a Celery worker with embedded beat; Ctrl-C stops them all."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from koongo.accounts.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Serve the dashboard with a worker (embedded beat) and every simulator in DEMO_SERVICES."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))

    def handle(self, *args, port, **options):
        python = sys.executable
        bin_dir = os.path.dirname(python)
        services = [(name, [python, *argv]) for name, argv in settings.DEMO_SERVICES]
        services += [
            (
                "web",
                [
                    os.path.join(bin_dir, "gunicorn"),
                    "koongo.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
            ),
            # -B embeds beat: the demo's one scheduler; docker-compose runs beat as its own service instead.
            ("worker", [os.path.join(bin_dir, "celery"), "-A", "koongo", "worker", "-B", "-l", "info", "--concurrency", "2"]),
        ]
        children = []
        for name, argv in services:
            self.stdout.write(f"starting {name}: {' '.join(argv[1:] if argv[0] == python else argv)}")
            children.append((name, subprocess.Popen(argv, start_new_session=True)))
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Dashboard:  http://127.0.0.1:{port}/\n  Login:      {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                f"  Admin:      http://127.0.0.1:{port}/admin/  (admin / {DEMO_PASSWORD})\n"
                f"  API docs:   http://127.0.0.1:{port}/api/docs/\n  Stop with Ctrl-C.\n"
            )
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping the demo")
                        stopping = True
                time.sleep(0.5)
        finally:
            for _, child in children:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            for _, child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
            self.stdout.write("demo stopped")
