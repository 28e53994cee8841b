"""Models used only by tests."""

from django.db import models

from koongo.crypto import EncryptedJSONField, EncryptedTextField


class SecretHolder(models.Model):
    label = models.CharField(max_length=50)
    secret = EncryptedTextField()
    config = EncryptedJSONField()

    class Meta:
        app_label = "testapp"

    def __str__(self):
        return self.label
