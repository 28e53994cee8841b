"""Writes for connections: create, test, activate, pause and configure Miinto and store connections."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from connections import clients
from connections import events as connection_events
from connections.models import ConnectionStatus, MiintoConnection, OrderConfiguration, PauseSource, StoreConnection
from connections.store_identity import normalize_store_identity
from koongo.accounts.models import Feature, Merchant
from koongo.accounts.services import plan_allows
from koongo.http import AuthError, HttpError, TransientError
from koongo.url_guard import UnsafeUrl


class ActivationRefused(Exception):
    """Activation is not allowed (plan, connection limit, untested store); `upgrade` says whether a plan change helps."""

    def __init__(self, message: str, *, upgrade: bool = False):
        super().__init__(message)
        self.message = message
        self.upgrade = upgrade


@dataclass(frozen=True)
class AvailableStore:
    """A Miinto shop location the account may administer, as the wizard lists it."""

    shop_id: str
    name: str
    market: str
    market_name: str
    currency: str


def miinto_connection_start(*, merchant: Merchant, environment: str, username: str, password: str) -> list[AvailableStore]:
    """Log in to Miinto and list the shop locations ("Get Available Stores"); saves nothing."""
    if environment not in clients.miinto_environments():
        raise ValidationError({"environment": _("Choose one of the listed Miinto environments.")})
    client = clients.miinto_login_client(environment, username, password)
    try:
        shops = client.available_shops()
    except AuthError:
        raise ValidationError({"password": _("Miinto did not accept this username and password.")}) from None
    except TransientError as error:
        raise ValidationError({"__all__": _("Miinto could not be reached (%(error)s). Try again in a moment.") % {"error": error.message}}) from None
    except HttpError as error:
        raise ValidationError({"__all__": _("Miinto refused the request: %(error)s") % {"error": error.message}}) from None
    finally:
        client.close()
    return [
        AvailableStore(
            shop.id, shop.name or shop.id, shop.market or "", shop.market_name or shop.market or "", shop.currency or ""
        )
        for shop in shops
    ]


def miinto_connection_create(
    *,
    merchant: Merchant,
    environment: str,
    username: str,
    password: str,
    shop_id: str,
    store_connection: StoreConnection | None = None,
    activate: bool = False,
) -> MiintoConnection:
    """Save a connection to one of the account's shops (disabled), then activate it if asked.

    The connection is saved even when activation is refused, so the merchant keeps the configuration and sees why;
    `ActivationRefused` is then raised for the caller to show.
    """
    stores = {
        store.shop_id: store
        for store in miinto_connection_start(merchant=merchant, environment=environment, username=username, password=password)
    }
    store = stores.get(shop_id)
    if store is None:
        raise ValidationError({"shop_id": _("This Miinto account cannot administer that shop location.")})
    if store_connection is not None and store_connection.merchant_id != merchant.pk:
        raise ValidationError({"store_connection": _("Unknown store connection.")})
    try:
        with transaction.atomic():
            connection = MiintoConnection.objects.create(
                merchant=merchant,
                environment=environment,
                username=username,
                password=password,
                shop_id=store.shop_id,
                market=store.market,
                shop_name=store.name,
                currency=store.currency,
                store_connection=store_connection,
            )
            OrderConfiguration.objects.create(merchant=merchant, connection=connection)
    except IntegrityError:
        raise ValidationError({"shop_id": _miinto_shop_taken(merchant, environment, shop_id)}) from None
    if activate:
        miinto_connection_activate(connection=connection)
    return connection


def _miinto_shop_taken(merchant: Merchant, environment: str, shop_id: str) -> str:
    """Why a Miinto shop cannot be connected, without naming another merchant."""
    # Allowed: the conflicting row may be another merchant's; only whether it is ours is read, never its content.
    with scopes_disabled():
        ours = MiintoConnection.objects.filter(
            environment=environment, shop_id=shop_id, archived_at__isnull=True, merchant=merchant
        ).exists()
    if ours:
        return _("The Miinto shop %(shop)s is already connected.") % {"shop": shop_id}
    return _(
        "The Miinto shop %(shop)s is already connected to another Koongo account. A Miinto shop can be connected by one account only."
    ) % {"shop": shop_id}


@transaction.atomic
def miinto_connection_activate(*, connection: MiintoConnection) -> MiintoConnection:
    """Activate order sync: the plan must include it, stay within its connection limit, and the store must be tested."""
    # Lock the merchant row so two activations cannot both pass the connection-limit check.
    merchant = Merchant.objects.select_for_update().select_related("plan").get(pk=connection.merchant_id)
    if not plan_allows(merchant, Feature.ORDER_SYNC):
        raise ActivationRefused(
            _("Your %(plan)s plan does not include Miinto order sync. Upgrade your plan to activate this connection.")
            % {"plan": merchant.plan.name},
            upgrade=True,
        )
    active = MiintoConnection.objects.filter(merchant=merchant, status=ConnectionStatus.ACTIVE).exclude(pk=connection.pk).count()
    if active >= merchant.plan.max_connections:
        raise ActivationRefused(
            _(
                "Your %(plan)s plan allows %(count)s active connection(s). Upgrade your plan or deactivate another connection."
            ) % {"plan": merchant.plan.name, "count": merchant.plan.max_connections},
            upgrade=True,
        )
    if connection.is_archived:
        raise ActivationRefused(_("This connection is archived. Restore it before activating order sync."))
    store = connection.store_connection
    if store is None or store.is_archived or not store.is_tested:
        raise ActivationRefused(_("Link a store connection and test it successfully before activating order sync."))
    connection.status = ConnectionStatus.ACTIVE
    connection.next_sync_at = timezone.now()
    connection.save(update_fields=["status", "next_sync_at"])
    return connection


@transaction.atomic
def miinto_connection_deactivate(*, connection: MiintoConnection) -> MiintoConnection:
    """Stop every flow for this connection; its configuration stays."""
    from connections.plan_limits import plan_enforce

    connection.status = ConnectionStatus.DISABLED
    connection.next_sync_at = None
    if connection.paused_by_plan:  # a disabled connection takes no slot, so the plan's pause no longer applies
        connection.paused_at, connection.paused_source, connection.paused_reason = None, "", ""
    connection.save(update_fields=["status", "next_sync_at", "paused_at", "paused_source", "paused_reason"])
    plan_enforce(connection.merchant)  # a freed slot resumes a connection the plan had paused
    return connection


@transaction.atomic
def miinto_connection_update_credentials(*, connection: MiintoConnection, username: str, password: str) -> MiintoConnection:
    """Replace the credentials after checking them with Miinto; success clears a pause the Miinto credentials caused."""
    shops = miinto_connection_start(
        merchant=connection.merchant, environment=connection.environment, username=username, password=password
    )
    if connection.shop_id not in {shop.shop_id for shop in shops}:
        raise ValidationError({"username": _("This Miinto account cannot administer the connected shop location.")})
    connection.username, connection.password = username, password
    connection.channel_id = connection.channel_token = ""
    connection.save(update_fields=["username", "password", "channel_id", "channel_token"])
    miinto_connection_clear_pause(connection=connection, source=PauseSource.MIINTO_CREDENTIALS)
    return connection


@transaction.atomic
def miinto_connection_link_store(*, connection: MiintoConnection, store_connection: StoreConnection | None) -> MiintoConnection:
    if store_connection is not None and store_connection.merchant_id != connection.merchant_id:
        raise ValidationError({"store_connection": _("Unknown store connection.")})
    connection.store_connection = store_connection
    connection.save(update_fields=["store_connection"])
    return connection


@transaction.atomic
def miinto_connection_pause(*, connection: MiintoConnection, reason: str, source: str = PauseSource.MANUAL) -> MiintoConnection:
    """Stop syncing until someone fixes the cause (e.g. refused credentials); the reason is shown everywhere.

    `source` says what caused it, so that only a successful check of that same thing clears it.
    """
    MiintoConnection.objects.filter(pk=connection.pk).update(
        paused_at=timezone.now(), paused_reason=reason[:1000], paused_source=source
    )
    connection.refresh_from_db(fields=["paused_at", "paused_reason", "paused_source"])
    connection_events.connections_paused([connection])
    return connection


@transaction.atomic
def miinto_connection_unpause(*, connection: MiintoConnection) -> MiintoConnection:
    """Resume by an explicit human decision (button, API, admin), whatever paused the connection, except the plan."""
    if connection.paused_by_plan:
        raise ActivationRefused(connection.paused_reason, upgrade=True)
    MiintoConnection.objects.filter(pk=connection.pk).update(
        paused_at=None, paused_reason="", paused_source="", next_sync_at=timezone.now()
    )
    connection.refresh_from_db(fields=["paused_at", "paused_reason", "paused_source", "next_sync_at"])
    connection_events.connections_resumed([connection])
    return connection


@transaction.atomic
def miinto_connection_clear_pause(*, connection: MiintoConnection, source: str) -> bool:
    """A successful check of `source` resumes the connection only if that source paused it; True when it did."""
    cleared = MiintoConnection.objects.filter(pk=connection.pk, paused_at__isnull=False, paused_source=source).update(
        paused_at=None, paused_reason="", paused_source="", next_sync_at=timezone.now()
    )
    connection.refresh_from_db(fields=["paused_at", "paused_reason", "paused_source", "next_sync_at"])
    connection_events.connections_resumed([connection] if cleared else [])
    return bool(cleared)


@transaction.atomic
def order_configuration_apply(*, configuration: OrderConfiguration, order_sync_active: bool | None = None, **changes) -> OrderConfiguration:
    """The Orders configuration with its "Activate Order Synchronization" switch, all or nothing: a refused activation
    (plan, untested store) is a field error on the switch and saves none of the other changes."""
    order_configuration_update(configuration=configuration, **changes)
    connection = configuration.connection
    if order_sync_active is not None and order_sync_active != connection.is_active:
        try:
            if order_sync_active:
                miinto_connection_activate(connection=connection)
            else:
                miinto_connection_deactivate(connection=connection)
        except ActivationRefused as refusal:
            raise ValidationError({"order_sync_active": refusal.message}) from None
    return configuration


def order_configuration_update(*, configuration: OrderConfiguration, **changes) -> OrderConfiguration:
    """Apply validated changes (forms and serializers validate first); the model's full_clean is the last guard."""
    for field, value in changes.items():
        setattr(configuration, field, value)
    configuration.full_clean(exclude=["merchant", "connection"])
    configuration.save()
    return configuration


# --- store connections -----------------------------------------------------------------------


def credentials_validate(platform: str, data: dict):
    """Validate credentials with the adapter's model, turning pydantic errors into field-level ones."""
    from platforms import registry

    try:
        model = registry.credentials_model(platform)
    except registry.UnknownPlatform:
        raise ValidationError({"platform": _("Unknown platform %(platform)s.") % {"platform": repr(platform)}}) from None
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        fields: dict[str, list[str]] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "__all__"
            fields.setdefault(name, []).append(problem["msg"].removeprefix("Value error, "))
        raise ValidationError(fields) from None


def credentials_for_storage(credentials) -> dict:
    """A credentials model as plain JSON with secrets revealed, for the encrypted column only."""

    def reveal(value):
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, tuple | list):
            return [reveal(v) for v in value]
        return value

    # JSON mode turns Decimals and dates into strings the encrypted JSON field can store; secrets are put back after.
    data = credentials.model_dump(mode="json")
    for name in type(credentials).model_fields:
        value = getattr(credentials, name)
        if isinstance(value, SecretStr) or (isinstance(value, tuple | list) and any(isinstance(v, SecretStr) for v in value)):
            data[name] = reveal(value)
    return data


def store_identity_check(*, merchant: Merchant, platform: str, credentials, exclude_pk: int | None = None) -> None:
    """Refuse a store that is already connected (by this merchant or another), on the field that names the store."""
    identity = normalize_store_identity(credentials.scope_key())
    if not identity:
        return
    # Allowed: the check spans merchants by design; it reads only whether the store is taken and by whom (us or not).
    with scopes_disabled():
        taken = StoreConnection.objects.filter(platform=platform, store_identity=identity, archived_at__isnull=True)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        owner = taken.values_list("merchant_id", flat=True).first()
    if owner is None:
        return
    if owner == merchant.pk:
        message = _("You already have a connection to this store.")
    else:
        message = _("This store is already connected to another Koongo account. A store can be connected by one account only.")
    raise ValidationError({type(credentials).identity_field: message})


@transaction.atomic
def store_connection_create(*, merchant: Merchant, platform: str, name: str, credentials: dict) -> StoreConnection:
    model = credentials_validate(platform, credentials)
    if StoreConnection.objects.filter(merchant=merchant, name=name).exists():
        raise ValidationError({"name": _("You already have a store connection with this name.")})
    store_identity_check(merchant=merchant, platform=platform, credentials=model)
    try:
        clients.check_store_urls(platform, model)
    except UnsafeUrl as error:
        raise ValidationError({type(model).identity_field: error.message}) from None
    try:
        with transaction.atomic():
            return StoreConnection.objects.create(
                merchant=merchant, platform=platform, name=name, shop_url=model.scope_key(), credentials=credentials_for_storage(model)
            )
    except IntegrityError:
        # Lost a race with a concurrent create: the constraints decided; say which one.
        store_identity_check(merchant=merchant, platform=platform, credentials=model)
        raise ValidationError({"name": _("You already have a store connection with this name.")}) from None


def _ask_store(store_connection: StoreConnection):
    """(info, True, message) from the store's own answer; the adapter's errors (and the SSRF guard's) are raised."""
    with clients.store_adapter(store_connection) as adapter:
        info = adapter.test_connection()
    tax = "incl." if info.prices_include_tax else "excl."
    return info, True, f"Connected to {info.name} ({info.currency}, prices {tax} tax)."


def store_connection_test(*, store_connection: StoreConnection) -> StoreConnection:
    """Ask the store who it is; record the shop's currency, tax basis and capabilities, or what is wrong."""
    from platforms import registry

    try:
        info, ok, message = _ask_store(store_connection)
    except UnsafeUrl as error:
        info, ok, message = None, False, f"Koongo will not call this store's address: {error.message}"
    except AuthError as error:
        info, ok, message = None, False, f"The store refused the credentials: {error.message}"
    except TransientError as error:
        info, ok, message = None, False, f"The store could not be reached: {error.message}"
    except HttpError as error:
        info, ok, message = None, False, f"The store refused the test: {error.message}"
    store_connection.last_tested_at = timezone.now()
    store_connection.last_test_ok = ok
    store_connection.last_test_message = message
    store_connection.capabilities = sorted(str(c) for c in registry.adapter_class(store_connection.platform).capabilities)
    fields = ["last_tested_at", "last_test_ok", "last_test_message", "capabilities"]
    if info is not None:
        store_connection.currency = str(info.currency)
        store_connection.prices_include_tax = info.prices_include_tax
        fields += ["currency", "prices_include_tax"]
    store_connection.save(update_fields=fields)
    if ok:
        # The store answered with these credentials: resume the connections that its refused credentials paused.
        for connection in MiintoConnection.objects.filter(
            store_connection=store_connection, paused_source=PauseSource.STORE_CREDENTIALS
        ):
            miinto_connection_clear_pause(connection=connection, source=PauseSource.STORE_CREDENTIALS)
    return store_connection
