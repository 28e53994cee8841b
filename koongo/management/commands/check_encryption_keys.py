"""Check that FIELD_ENCRYPTION_KEYS decrypts every stored secret; run it after a restore or a key change."""

from django.core.management.base import BaseCommand, CommandError

from koongo.crypto import keys_problem, undecryptable_secrets


class Command(BaseCommand):
    help = "Decrypt every stored secret with FIELD_ENCRYPTION_KEYS; fails, naming the columns, if any cannot be."

    def handle(self, *args, **options):
        problem = keys_problem()
        if problem:
            raise CommandError(problem)
        checked = sum(counts[1] for counts in undecryptable_secrets().values())
        self.stdout.write(self.style.SUCCESS(f"FIELD_ENCRYPTION_KEYS decrypts all {checked} stored secrets"))
