"""Admin for connections and configuration, across merchants, with secrets masked and sync actions."""

from django.contrib import admin, messages

from connections import services
from connections.models import MiintoConnection, OrderConfiguration, StoreConnection
from connections.sync import admin as sync_admin  # noqa: F401  (registers the sync engine's admins)

SECRET_MASK = "•••••• (encrypted)"


class OrderConfigurationInline(admin.StackedInline):
    model = OrderConfiguration
    extra = 0
    can_delete = False
    exclude = ["merchant"]


@admin.register(MiintoConnection)
class MiintoConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "merchant", "shop_id", "market", "environment", "status", "paused_at", "next_sync_at"]
    list_filter = ["status", "market", "environment", ("paused_at", admin.EmptyFieldListFilter)]
    search_fields = ["shop_id", "shop_name", "merchant__name", "username"]
    list_select_related = ["merchant", "store_connection"]
    exclude = ["password", "channel_id", "channel_token"]
    readonly_fields = ["secrets"]
    inlines = [OrderConfigurationInline]
    actions = ["sync_now", "unpause"]

    @admin.display(description="Password and token")
    def secrets(self, obj):
        return SECRET_MASK

    @admin.action(description="Synchronize orders now")
    def sync_now(self, request, queryset):
        from connections.sync.runs import sync_request
        from koongo.accounts.tenancy import merchant_scope

        started = 0
        for connection in queryset.select_related("merchant"):
            with merchant_scope(connection.merchant):
                try:
                    sync_request(connection=connection, flow="orders", trigger="admin")
                    started += 1
                except Exception as error:  # report each refusal and go on with the rest
                    self.message_user(request, f"{connection}: {error}", messages.WARNING)
        self.message_user(request, f"Requested {started} sync run(s).")

    @admin.action(description="Unpause")
    def unpause(self, request, queryset):
        for connection in queryset:
            services.miinto_connection_unpause(connection=connection)
        self.message_user(request, f"Unpaused {queryset.count()} connection(s).")


@admin.register(StoreConnection)
class StoreConnectionAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "platform", "currency", "last_test_ok", "last_tested_at"]
    list_filter = ["platform", "last_test_ok"]
    search_fields = ["name", "shop_url", "merchant__name"]
    list_select_related = ["merchant"]
    exclude = ["credentials"]
    readonly_fields = ["secrets", "capabilities", "last_tested_at", "last_test_ok", "last_test_message"]
    actions = ["test_connection"]

    @admin.display(description="Credentials")
    def secrets(self, obj):
        return SECRET_MASK

    @admin.action(description="Test store connection")
    def test_connection(self, request, queryset):
        for store in queryset:
            services.store_connection_test(store_connection=store)
            self.message_user(
                request, f"{store}: {store.last_test_message}", messages.SUCCESS if store.last_test_ok else messages.ERROR
            )
