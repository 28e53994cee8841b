"""Play the demo's story (orders, a shipment and label, a return, a store refund) once the demo data is seeded."""

from django.core.management.base import BaseCommand

from koongo.accounts.management.commands.seed_demo import DEMO_MERCHANT
from koongo.accounts.models import Merchant
from rma.demo_story import demo_story_play


class Command(BaseCommand):
    help = "Run the demo merchant's flows once against the simulators so every dashboard screen has data."

    def handle(self, *args, **options):
        merchant = Merchant.objects.get(name=DEMO_MERCHANT)
        for line in demo_story_play(merchant):
            self.stdout.write(line)
