"""Exit 0 when beat's last tick (run by a worker) is recent: the compose health check of the beat service."""

import time

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from koongo.observability.backlog import BEAT_TICK_KEY


class Command(BaseCommand):
    help = "Fail unless beat ticked within --max-age seconds (default 120)."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=float, default=120.0)

    def handle(self, *args, max_age, **options):
        tick = cache.get(BEAT_TICK_KEY)
        if tick is None or time.time() - tick > max_age:
            raise CommandError(f"beat has not ticked within {max_age:.0f} s")
        self.stdout.write(f"beat ticked {time.time() - tick:.0f} s ago")
