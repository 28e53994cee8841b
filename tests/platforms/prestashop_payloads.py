"""PrestaShop webservice answers shaped like the devdocs' resource schemas (JSON output: ids numbers, values strings)."""

API_ROOT = """<?xml version="1.0" encoding="UTF-8"?>
<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">
<api shopName="Nordkyst Shop">
{resources}
</api>
</prestashop>"""


def api_root(permissions: dict[str, str]) -> str:
    """`GET /api/` for a key with `permissions` (resource → methods, e.g. "GET POST")."""
    rows = []
    for name, methods in permissions.items():
        flags = " ".join(
            f'{m.lower()}="{"true" if m in methods.split() else "false"}"'
            for m in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
        )
        rows.append(
            f'<{name} xlink:href="https://shop.test/api/{name}" {flags}><description xlink:href="https://shop.test/api/{name}" '
            f"{flags}>The {name}</description></{name}>"
        )
    return API_ROOT.format(resources="\n".join(rows))


CONFIGURATIONS = {
    "configurations": [
        {"name": "PS_CURRENCY_DEFAULT", "value": "1"},
        {"name": "PS_LANG_DEFAULT", "value": "1"},
        {"name": "PS_TIMEZONE", "value": "Europe/Copenhagen"},
        {"name": "PS_CARRIER_DEFAULT", "value": "2"},
        {"name": "PS_OS_REFUND", "value": "7"},
    ]
}
CURRENCY = {
    "currency": {
        "id": 1,
        "names": "Danish krone",
        "name": "Danish krone",
        "iso_code": "DKK",
        "conversion_rate": "1.000000",
        "deleted": "0",
        "active": "1",
    }
}

# A product with two combinations, in a shop with two languages (multilingual fields as lists).
PRODUCTS = {
    "products": [
        {
            "id": 12,
            "id_manufacturer": "3",
            "id_category_default": "9",
            "id_default_image": "31",
            "id_tax_rules_group": "1",
            "reference": "",
            "ean13": "",
            "upc": "",
            "isbn": "",
            "mpn": "",
            "price": "100.000000",
            "active": "1",
            "manufacturer_name": "Nordkyst",
            "name": [{"id": "1", "value": "Cable Knit Jumper"}, {"id": "2", "value": "Kabelstrik trøje"}],
            "final_price": "125.000000",
            "original_price": "125.000000",
            "associations": {
                "categories": [{"id": "2"}, {"id": "9"}],
                "images": [{"id": "31"}, {"id": "32"}],
                "combinations": [{"id": "40"}, {"id": "41"}],
                "stock_availables": [{"id": "70", "id_product_attribute": "0"}, {"id": "71", "id_product_attribute": "40"}],
            },
        }
    ]
}
COMBINATIONS = {
    "combinations": [
        {
            "id": 40,
            "id_product": "12",
            "reference": "KNIT-NAVY-S",
            "ean13": "5712345000014",
            "upc": "",
            "isbn": "",
            "mpn": "KN-01",
            "price": "0.000000",
            "final_price": "100.000000",
            "original_price": "125.000000",
            "associations": {"product_option_values": [{"id": "5"}, {"id": "8"}], "images": [{"id": "32"}]},
        },
    ]
}
STOCK_AVAILABLES = {
    "stock_availables": [
        {"id": 70, "id_product": "12", "id_product_attribute": "0", "quantity": "14"},
        {"id": 71, "id_product": "12", "id_product_attribute": "40", "quantity": "4"},
    ]
}
STOCK_AVAILABLE_FULL = {
    "stock_availables": [
        {
            "id": 71,
            "id_product": "12",
            "id_product_attribute": "40",
            "id_shop": "1",
            "id_shop_group": "0",
            "quantity": "4",
            "depends_on_stock": "0",
            "out_of_stock": "2",
            "location": "",
        }
    ]
}
OPTION_VALUES = {
    "product_option_values": [
        {"id": 5, "id_attribute_group": "2", "name": "Navy"},
        {"id": 8, "id_attribute_group": "1", "name": "S"},
    ]
}
OPTIONS = {"product_options": [{"id": 1, "name": "Size"}, {"id": 2, "name": "Color"}]}
CATEGORIES = {"categories": [{"id": 9, "name": "Knitwear"}]}

ORDER = {
    "order": {
        "id": 5,
        "id_address_delivery": "11",
        "id_address_invoice": "11",
        "id_cart": "8",
        "id_currency": "1",
        "id_lang": "1",
        "id_customer": "4",
        "id_carrier": "2",
        "current_state": "2",
        "module": "miinto",
        "invoice_number": "0",
        "invoice_date": "0000-00-00 00:00:00",
        "delivery_number": "0",
        "delivery_date": "0000-00-00 00:00:00",
        "valid": "1",
        "date_add": "2026-05-01 12:00:05",
        "date_upd": "2026-05-01 12:00:05",
        "shipping_number": "",
        "note": "",
        "id_shop_group": "1",
        "id_shop": "1",
        "secure_key": "45a8c9b7e2",
        "payment": "Miinto",
        "recyclable": "0",
        "gift": "0",
        "gift_message": "",
        "mobile_theme": "0",
        "total_discounts": "0.000000",
        "total_paid": "135.000000",
        "total_paid_tax_incl": "135.000000",
        "total_paid_tax_excl": "108.000000",
        "total_paid_real": "135.000000",
        "total_products": "108.000000",
        "total_products_wt": "135.000000",
        "total_shipping": "0.000000",
        "carrier_tax_rate": "25.000",
        "conversion_rate": "1.000000",
        "reference": "XKBKNABJK",
        "associations": {
            "order_rows": [
                {
                    "id": "21",
                    "product_id": "12",
                    "product_attribute_id": "41",
                    "product_quantity": "1",
                    "product_name": "Cable Knit Jumper - M",
                    "product_reference": "KNIT-NAVY-M",
                    "product_ean13": "5712345000021",
                    "product_isbn": "",
                    "product_upc": "",
                    "product_price": "100.000000",
                    "id_customization": "0",
                    "unit_price_tax_incl": "90.000000",
                    "unit_price_tax_excl": "72.000000",
                },
                {
                    "id": "22",
                    "product_id": "13",
                    "product_attribute_id": "44",
                    "product_quantity": "2",
                    "product_name": "Organic Tee - M",
                    "product_reference": "TEE-WHITE-M",
                    "product_ean13": "5712345000045",
                    "product_isbn": "",
                    "product_upc": "",
                    "product_price": "20.000000",
                    "id_customization": "0",
                    "unit_price_tax_incl": "22.500000",
                    "unit_price_tax_excl": "18.000000",
                },
            ]
        },
    }
}
ORDER_SLIP = {
    "order_slip": {
        "id": 3,
        "id_customer": "4",
        "id_order": "5",
        "conversion_rate": "1.000000",
        "total_products_tax_excl": "72.000000",
        "total_products_tax_incl": "90.000000",
        "total_shipping_tax_excl": "3.960000",
        "total_shipping_tax_incl": "4.950000",
        "amount": "90.000000",
        "shipping_cost": "1",
        "shipping_cost_amount": "4.950000",
        "partial": "1",
        "date_add": "2026-05-01 12:30:00",
        "date_upd": "2026-05-01 12:30:00",
        "order_slip_type": "0",
        "associations": {
            "order_slip_details": [
                {
                    "id": "21",
                    "id_order_detail": "21",
                    "product_quantity": "1",
                    "amount_tax_excl": "72.000000",
                    "amount_tax_incl": "90.000000",
                },
            ]
        },
    }
}
ORDER_STATES = {"order_states": [{"id": 2, "shipped": "0"}, {"id": 4, "shipped": "1"}, {"id": 5, "shipped": "1"}]}
SHIPPED_ORDERS = {
    "orders": [
        {"id": 5, "reference": "XKBKNABJK", "current_state": "4", "id_address_delivery": "11", "date_upd": "2026-05-01 15:10:00"},
        {"id": 6, "reference": "QWERTYUIO", "current_state": "2", "id_address_delivery": "12", "date_upd": "2026-05-01 15:20:00"},
    ]
}
ORDER_CARRIERS = {
    "order_carriers": [
        {
            "id": 9,
            "id_order": "5",
            "id_carrier": "3",
            "id_order_invoice": "0",
            "weight": "0.450000",
            "shipping_cost_tax_excl": "0.000000",
            "shipping_cost_tax_incl": "0.000000",
            "tracking_number": "00340434161234567890",
            "date_add": "2026-05-01 12:00:05",
        },
    ]
}
ORDER_HISTORIES = {
    "order_histories": [
        {"id": 30, "id_employee": "0", "id_order_state": "2", "id_order": "5", "date_add": "2026-05-01 12:00:05"},
        {"id": 31, "id_employee": "1", "id_order_state": "4", "id_order": "5", "date_add": "2026-05-01 15:10:00"},
    ]
}
CARRIERS = {"carriers": [{"id": 3, "name": "DHL Express", "url": "https://www.dhl.com/dk-en/home/tracking.html?tracking-id=@"}]}
ADDRESSES = {"addresses": [{"id": 11, "other": "koongo-order:order-1"}]}
