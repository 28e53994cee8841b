"""Dashboard archive and restore of Miinto and store connections: owners only, after a confirmation page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connections import archive, selectors
from koongo.accounts.decorators import owner_required


def _confirm_or_archive(request, *, subject, archive_it, back, kind: str):
    """GET: the confirmation page saying what is kept (`kind`, "miinto" or "store", picks its question); POST: archive,
    or show why not."""
    if request.method != "POST":
        return render(request, "connections/archive_confirm.html", {"subject": subject, "back": back, "kind": kind})
    try:
        archive_it()
    except archive.ArchiveConflict as conflict:
        messages.error(request, conflict.message)
        return redirect(back)
    messages.success(request, _("%(subject)s archived. Its orders, returns, refunds and labels are kept; restore it any time.") % {"subject": subject})
    return redirect("connections:list")


@owner_required
def connection_archive(request, pk):
    connection = selectors.miinto_connection(request.merchant, pk)
    return _confirm_or_archive(
        request, subject=connection, kind="miinto", back=f"/connections/{pk}/",
        archive_it=lambda: archive.miinto_connection_archive(connection=connection),
    )  # fmt: skip


def _restore(request, *, restore_it, restored: str, back):
    """POST: bring an archived connection back, or say why not."""
    try:
        restore_it()
        messages.success(request, restored)
    except archive.ArchiveConflict as conflict:
        messages.error(request, conflict.message)
    return back


@owner_required
@require_POST
def connection_restore(request, pk):
    connection = selectors.miinto_connection(request.merchant, pk)
    return _restore(
        request, restore_it=lambda: archive.miinto_connection_restore(connection=connection),
        restored=_("%(connection)s restored. It stays disabled until you activate it.") % {"connection": connection},
        back=redirect("connections:detail", pk=pk),
    )  # fmt: skip


@owner_required
def store_archive(request, pk):
    store = selectors.store_connection(request.merchant, pk)
    return _confirm_or_archive(
        request, subject=store, kind="store", back=f"/stores/{pk}/",
        archive_it=lambda: archive.store_connection_archive(store=store),
    )  # fmt: skip


@owner_required
@require_POST
def store_restore(request, pk):
    store = selectors.store_connection(request.merchant, pk)
    return _restore(
        request, restore_it=lambda: archive.store_connection_restore(store=store), restored=_("%(store)s restored.") % {"store": store},
        back=redirect("connections:store-detail", pk=pk),
    )  # fmt: skip
