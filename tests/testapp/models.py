"""Models used only by tests."""

from django.db import models

from connections.models import OutboxRow
from koongo.crypto import EncryptedJSONField, EncryptedTextField


class SecretHolder(models.Model):
    label = models.CharField(max_length=50)
    secret = EncryptedTextField()
    config = EncryptedJSONField()

    class Meta:
        app_label = "testapp"

    def __str__(self):
        return self.label


class EchoOutbox(OutboxRow):
    """A test-only outbox kind: its handler (registered per test) decides what executing `message` does."""

    message = models.CharField(max_length=100)
    connection = models.ForeignKey(
        "connections.MiintoConnection", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta(OutboxRow.Meta):
        app_label = "testapp"

    def __str__(self):
        return self.message
