"""Re-encrypt every encrypted field with the newest key in FIELD_ENCRYPTION_KEYS, in batches."""

from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.db.models.functions import Cast
from django_scopes import scopes_disabled

from koongo.crypto import encrypted_fields, rotate


class Command(BaseCommand):
    help = "Re-encrypt all secrets with the newest FIELD_ENCRYPTION_KEYS key; afterwards older keys can be removed."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        total = 0
        # A maintenance command works across all merchants by design.
        with scopes_disabled():
            for model, field in encrypted_fields():
                total += self.rotate_field(model, field, batch_size)
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} values"))

    def rotate_field(self, model, field, batch_size: int) -> int:
        """Rotate one column, one UPDATE per batch; the raw tokens are read through a cast to skip decryption."""
        rows = (
            model._base_manager.exclude(**{field.attname: ""})
            .exclude(**{f"{field.attname}__isnull": True})
            .annotate(raw_token=Cast(field.attname, models.TextField()))
            .order_by("pk")
            .values_list("pk", "raw_token")
        )
        done, last_pk = 0, None
        while True:
            page = rows.filter(pk__gt=last_pk) if last_pk is not None else rows
            batch = list(page[:batch_size])
            if not batch:
                return done
            whens = [models.When(pk=pk, then=models.Value(rotate(token), output_field=models.TextField())) for pk, token in batch]
            with transaction.atomic():
                model._base_manager.filter(pk__in=[pk for pk, _ in batch]).update(
                    **{field.attname: models.Case(*whens, output_field=models.TextField())}
                )
            done += len(batch)
            last_pk = batch[-1][0]
