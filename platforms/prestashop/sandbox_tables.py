"""The resources the PrestaShop simulator serves: their fields, required fields and associations, as the webservice has them."""

from __future__ import annotations

from platforms.prestashop.sandbox_webservice import Resource

READ_ONLY = frozenset({"GET", "HEAD"})
LOG = frozenset({"GET", "HEAD", "POST"})
DATES = ("date_add", "date_upd")

# The default order states (id → name, shipped flag), as a fresh PrestaShop 8 install has them.
STATES = {
    1: ("Awaiting check payment", False),
    2: ("Payment accepted", False),
    3: ("Processing in progress", False),
    4: ("Shipped", True),
    5: ("Delivered", True),
    6: ("Canceled", False),
    7: ("Refunded", False),
    8: ("Payment error", False),
}
# The states that count as a sale (`OrderState::logable`): leaving error or canceled for one of them takes the stock.
LOGABLE = frozenset({2, 3, 4, 5})


def _resource(name: str, node: str, fields: str, required: str = "", associations=None, methods=None) -> Resource:
    return Resource(
        name,
        node,
        tuple(fields.split()),
        tuple(required.split()),
        associations or {},
        methods or frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"}),
    )


RESOURCES = {
    r.name: r
    for r in (
        _resource("configurations", "configuration", "name value date_add date_upd", "name"),
        _resource("currencies", "currency", "iso_code name conversion_rate active", "iso_code name conversion_rate"),
        _resource("countries", "country", "iso_code active", "iso_code"),
        _resource("taxes", "tax", "rate active name", "rate name"),
        _resource(
            "tax_rules",
            "tax_rule",
            "id_tax_rules_group id_state id_country zipcode_from zipcode_to id_tax behavior",
            "id_tax_rules_group id_country",
        ),
        _resource("carriers", "carrier", "name url is_free active deleted", "name"),
        _resource("order_states", "order_state", "name shipped", methods=READ_ONLY),
        _resource("categories", "category", "id_parent name active", "name"),
        _resource("product_options", "product_option", "name group_type", "name group_type"),
        _resource("product_option_values", "product_option_value", "id_attribute_group color name", "id_attribute_group name"),
        _resource(
            "products",
            "product",
            "id_manufacturer id_category_default id_default_image id_tax_rules_group reference ean13 upc "
            "isbn mpn price active name manufacturer_name " + " ".join(DATES),
            "price",
            {
                "categories": ("category", ("id",)),
                "images": ("image", ("id",)),
                "combinations": ("combination", ("id",)),
                "stock_availables": ("stock_available", ("id", "id_product_attribute")),
            },
        ),
        _resource(
            "combinations",
            "combination",
            "id_product reference ean13 upc isbn mpn price default_on",
            "id_product",
            {
                "product_option_values": ("product_option_value", ("id",)),
                "images": ("image", ("id",)),
            },
        ),
        _resource(
            "stock_availables",
            "stock_available",
            "id_product id_product_attribute id_shop id_shop_group quantity depends_on_stock out_of_stock location",
            "id_product id_product_attribute quantity depends_on_stock out_of_stock",
            methods=frozenset({"GET", "HEAD", "PUT", "PATCH"}),
        ),
        _resource(
            "specific_prices",
            "specific_price",
            "id_shop id_shop_group id_cart id_product id_product_attribute id_currency id_country id_group id_customer price "
            "from_quantity reduction reduction_tax reduction_type from to",
            "id_shop id_cart id_product id_currency id_country id_group id_customer price from_quantity reduction reduction_tax "
            "reduction_type from to",
        ),
        _resource(
            "customers",
            "customer",
            "id_default_group id_lang secure_key lastname firstname email passwd active " + " ".join(DATES),
            "lastname firstname email passwd",
        ),
        _resource(
            "addresses",
            "address",
            "id_customer id_country id_state alias company lastname firstname address1 address2 postcode "
            "city other phone phone_mobile deleted " + " ".join(DATES),
            "id_country alias lastname firstname address1 city",
        ),
        _resource(
            "carts",
            "cart",
            "id_address_delivery id_address_invoice id_currency id_customer id_lang id_carrier delivery_option secure_key "
            + " ".join(DATES),
            "id_currency id_lang",
            {
                "cart_rows": ("cart_row", ("id_product", "id_product_attribute", "id_address_delivery", "quantity")),
            },
        ),
        _resource(
            "orders",
            "order",
            "id_address_delivery id_address_invoice id_cart id_currency id_lang id_customer id_carrier "
            "current_state module payment total_paid total_paid_real total_products total_products_wt conversion_rate reference "
            "shipping_number carrier_tax_rate id_shop valid " + " ".join(DATES),
            "id_address_delivery id_address_invoice id_cart id_currency id_lang id_customer id_carrier module payment total_paid "
            "total_paid_real total_products total_products_wt conversion_rate",
            {
                "order_rows": (
                    "order_row",
                    (
                        "id",
                        "product_id",
                        "product_attribute_id",
                        "product_quantity",
                        "product_name",
                        "product_reference",
                        "unit_price_tax_incl",
                        "unit_price_tax_excl",
                    ),
                ),
            },
        ),
        _resource(
            "order_details",
            "order_detail",
            "id_order product_id product_attribute_id product_quantity product_name "
            "product_reference product_ean13 unit_price_tax_incl unit_price_tax_excl product_quantity_refunded",
            methods=READ_ONLY,
        ),
        _resource(
            "order_histories",
            "order_history",
            "id_employee id_order_state id_order date_add",
            "id_order_state id_order",
            methods=LOG,
        ),
        _resource(
            "order_carriers", "order_carrier", "id_order id_carrier tracking_number weight date_add", "id_order id_carrier"
        ),
        _resource(
            "order_slip",
            "order_slip",
            "id_customer id_order conversion_rate total_products_tax_excl total_products_tax_incl "
            "total_shipping_tax_excl total_shipping_tax_incl amount shipping_cost shipping_cost_amount partial order_slip_type "
            + " ".join(DATES),
            "id_customer id_order conversion_rate total_products_tax_excl total_products_tax_incl "
            "total_shipping_tax_excl total_shipping_tax_incl",
            {
                "order_slip_details": (
                    "order_slip_detail",
                    ("id", "id_order_detail", "product_quantity", "amount_tax_excl", "amount_tax_incl"),
                ),
            },
        ),
        _resource(
            "customer_threads",
            "customer_thread",
            "id_lang id_shop id_customer id_order id_product id_contact email token status " + " ".join(DATES),
            "id_lang id_contact token",
        ),
        _resource(
            "customer_messages",
            "customer_message",
            "id_employee id_customer_thread ip_address message private read " + " ".join(DATES),
            "id_customer_thread message",
        ),
    )
}
