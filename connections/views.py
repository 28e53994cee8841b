"""Dashboard views for the set-up journey: connections list, the add-connection wizard, connection and store pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connections import remote_choices, selectors, services, wizard_session
from connections.forms import CredentialsForm, LinkStoreForm, MiintoLoginForm, MiintoStoreForm, OrderConfigurationForm, PauseForm
from koongo.accounts.decorators import merchant_required, write_required
from koongo.accounts.models import Feature
from koongo.accounts.services import plan_allows


def _apply_errors(form, error: ValidationError) -> None:
    """Attach a service's field-level errors to the form (unknown fields become non-field errors)."""
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _show_refusal(request, refusal: services.ActivationRefused) -> None:
    messages.error(request, refusal.message)


@merchant_required
def connection_list(request):
    archived = request.GET.get("archived") == "1"
    context = {
        "connections": selectors.with_open_problems(selectors.miinto_connections(request.merchant, archived=archived)),
        "stores": selectors.store_connections(request.merchant, archived=archived),
        "archived": archived,
    }
    return render(request, "connections/list.html", context)


@write_required
def connection_add(request):
    """The wizard: Miinto account → Get Available Stores → choose a shop, a store connection and activation → save."""
    merchant = request.merchant
    store_connections = selectors.store_connections(merchant)
    action = request.POST.get("action", "")
    stores = []
    connected = set(selectors.miinto_connections(merchant).values_list("shop_id", flat=True))
    if request.method == "POST" and action == "save":
        data = request.POST.copy()
        if not data.get("password"):
            data["password"] = wizard_session.password_recall(
                request.session, environment=data.get("environment", ""), username=data.get("username", "")
            )
        form = MiintoStoreForm(data, store_connections=store_connections)
        if form.is_valid():
            data = form.cleaned_data
            try:
                connection = services.miinto_connection_create(
                    merchant=merchant,
                    environment=data["environment"],
                    username=data["username"],
                    password=data["password"],
                    shop_id=data["shop_id"],
                    store_connection=data["store_connection"],
                    activate=data["activate"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            except services.ActivationRefused as refusal:
                _show_refusal(request, refusal)
                return redirect("connections:detail", pk=_saved_pk(merchant, data["shop_id"]))
            else:
                wizard_session.login_forget(request.session)
                messages.success(request, _("Connected %(connection)s.") % {"connection": connection})
                return redirect("connections:detail", pk=connection.pk)
        stores = _stores_from_post(request)
    elif request.method == "POST":  # Get Available Stores
        form = MiintoLoginForm(request.POST)
        if form.is_valid():
            try:
                stores = services.miinto_connection_start(merchant=merchant, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                wizard_session.login_remember(request.session, **form.cleaned_data)
        if request.headers.get("HX-Request") == "true":
            return render(request, "connections/_stores.html", {"form": form, **_store_choices(stores, connected), "store_connections": store_connections})
        form = MiintoStoreForm(request.POST, store_connections=store_connections) if stores else form
    else:
        form = MiintoLoginForm()
    context = {
        "form": form,
        **_store_choices(stores, connected),
        "password_kept": bool(request.session.get(wizard_session.SESSION_KEY)),
        "store_connections": store_connections,
        "order_sync_allowed": plan_allows(merchant, Feature.ORDER_SYNC),
    }
    return render(request, "connections/add.html", context)


def _store_choices(stores, connected: set[str]) -> dict:
    """The shops to choose from; one already connected is marked and never pre-selected."""
    return {"stores": stores, "connected": connected, "default_shop": next((s.shop_id for s in stores if s.shop_id not in connected), "")}


def _saved_pk(merchant, shop_id):
    return selectors.miinto_connections(merchant).get(shop_id=shop_id).pk


def _stores_from_post(request):
    """Re-list the stores after a failed save without asking Miinto again: they were posted back with the form."""
    return [
        services.AvailableStore(shop_id, name, market, market, currency)
        for shop_id, name, market, currency in zip(
            request.POST.getlist("store_id"),
            request.POST.getlist("store_name"),
            request.POST.getlist("store_market"),
            request.POST.getlist("store_currency"),
            strict=False,
        )
    ]


@merchant_required
def connection_detail(request, pk):
    """The connection page calls no remote: its lists come from the cache (refreshed in the background), its health from
    the last test and run; "Check connection now" is the explicit live test."""
    connection = selectors.miinto_connection(request.merchant, pk)
    configuration = connection.order_configuration
    providers = remote_choices.market_providers(connection)
    store = connection.store_connection
    attributes = remote_choices.identifier_attributes(store) if store else remote_choices.Cached(None)
    form = OrderConfigurationForm(
        instance=configuration, attributes=attributes.items or [("id", _("Product id"))], providers=providers.items or []
    )
    return _render_detail(request, connection, form, remote={"providers": providers, "attributes": attributes if store else None})


def _render_detail(request, connection, form, status=200, remote=None):
    runs = list(connection.sync_runs.all()[:20])
    context = {
        "connection": connection,
        "remote": remote,
        "form": form,
        "runs": runs,
        "latest_run": next((run for run in runs if run.flow == "orders"), None),
        "credentials_form": CredentialsForm(initial={"username": connection.username}),
        "pause_form": PauseForm(),
        "link_form": LinkStoreForm(
            initial={"store_connection": connection.store_connection_id},
            store_connections=selectors.store_connections(request.merchant),
        ),
    }
    return render(request, "connections/detail.html", context, status=status)


@write_required
@require_POST
def configuration_update(request, pk):
    connection = selectors.miinto_connection(request.merchant, pk)
    configuration = connection.order_configuration
    form = OrderConfigurationForm(
        request.POST,
        instance=configuration,
        attributes=selectors.identifier_attribute_choices(connection.store_connection),
        providers=selectors.shipping_provider_choices(connection),
    )
    if not form.is_valid():
        messages.error(request, _("The configuration was not saved. Check the fields marked below."))
        configuration.refresh_from_db()
        return _render_detail(request, connection, form, status=400)
    try:
        services.order_configuration_apply(configuration=configuration, **form.cleaned_data)
    except ValidationError as error:
        _apply_errors(form, error)
        messages.error(request, _("The configuration was not saved. Check the fields marked below."))
        configuration.refresh_from_db()
        connection.refresh_from_db()
        return _render_detail(request, connection, form, status=400)
    messages.success(request, _("Orders configuration saved."))
    return redirect("connections:detail", pk=pk)


@write_required
@require_POST
def connection_action(request, pk, action):
    """Activate, deactivate, pause, unpause, change credentials or link the store, from the connection page."""
    connection = selectors.miinto_connection(request.merchant, pk)
    try:
        if action == "activate":
            services.miinto_connection_activate(connection=connection)
            messages.success(request, _("Order synchronization is active."))
        elif action == "deactivate":
            services.miinto_connection_deactivate(connection=connection)
            messages.success(request, _("Order synchronization is disabled. The configuration is kept."))
        elif action == "pause":
            form = PauseForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else _("Paused by the merchant")
            services.miinto_connection_pause(connection=connection, reason=reason)
            messages.success(request, _("Sync paused."))
        elif action == "unpause":
            services.miinto_connection_unpause(connection=connection)
            messages.success(request, _("Sync resumed."))
        elif action == "check":
            failures = remote_choices.connection_check(connection)
            for failure in failures:
                messages.error(request, failure)
            if not failures:
                messages.success(request, _("Miinto and the store answered; their lists are up to date."))
        elif action == "credentials":
            form = CredentialsForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.miinto_connection_update_credentials(connection=connection, **form.cleaned_data)
            messages.success(request, _("Credentials updated."))
        elif action == "link-store":
            form = LinkStoreForm(request.POST, store_connections=selectors.store_connections(request.merchant))
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.miinto_connection_link_store(connection=connection, store_connection=form.cleaned_data["store_connection"])
            messages.success(request, _("Store connection linked."))
        else:
            return render(request, "404.html", status=404)
    except services.ActivationRefused as refusal:
        _show_refusal(request, refusal)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            messages.error(request, f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors))
    return redirect("connections:detail", pk=pk)
