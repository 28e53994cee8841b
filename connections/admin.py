"""Django admin of the connections app."""

from connections import admin_sync  # noqa: F401  (registers the sync machinery's admins)
