"""Create (or refresh) the demo merchant and its owner login; idempotent. Apps add their demo data through signals."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.dispatch import Signal

from koongo.accounts.models import Membership, Merchant, Plan, Role

DEMO_EMAIL = "demo@koongo.local"
DEMO_PASSWORD = "demo-miinto-2026"
DEMO_MERCHANT = "Demo Fashion ApS"

# Sent after the demo merchant exists, so each app seeds its own demo data without accounts importing it.
demo_seeded = Signal()


class Command(BaseCommand):
    help = "Create the demo merchant, its owner login and, through the demo_seeded signal, each app's demo data."

    @transaction.atomic
    def handle(self, *args, **options):
        user, created = get_user_model().objects.get_or_create(username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL})
        user.set_password(DEMO_PASSWORD)
        user.save()
        merchant, _ = Merchant.objects.get_or_create(
            name=DEMO_MERCHANT, defaults={"plan": Plan.objects.get(code="business"), "timezone": "Europe/Copenhagen"}
        )
        Membership.objects.get_or_create(user=user, merchant=merchant, defaults={"role": Role.OWNER})
        admin, _ = get_user_model().objects.get_or_create(username="admin", defaults={"email": "admin@koongo.local"})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        for _receiver, result in demo_seeded.send(sender=self.__class__, merchant=merchant, stdout=self.stdout):
            if result:
                self.stdout.write(str(result))
        self.stdout.write(self.style.SUCCESS(f"demo merchant {merchant.name!r} ready (login {DEMO_EMAIL})"))
