"""Shopware 5 REST answers shaped like the devdocs' examples (`{success, data, total}`, camelCase, PHP ISO-8601 dates)."""

VERSION = {"success": True, "data": {"version": "5.7.19", "revision": "202405061050"}}
SHOP = {
    "success": True,
    "data": {
        "id": 1,
        "mainId": None,
        "categoryId": 3,
        "name": "Nordkyst",
        "title": None,
        "position": 0,
        "host": "shop.test",
        "basePath": None,
        "baseUrl": None,
        "hosts": "",
        "secure": True,
        "customerScope": False,
        "default": True,
        "active": True,
        "currency": {
            "id": 1,
            "currency": "EUR",
            "name": "Euro",
            "default": True,
            "factor": 1,
            "symbol": "&euro;",
            "symbolPosition": 0,
            "position": 0,
        },
    },
}
CUSTOMER_GROUPS = {
    "success": True,
    "total": 1,
    "data": [
        {
            "id": 1,
            "key": "EK",
            "name": "Shopkunden",
            "tax": True,
            "taxInput": True,
            "mode": False,
            "discount": 0,
            "minimumOrder": 0,
            "minimumOrderSurcharge": 0,
        }
    ],
}
PAYMENT = {"success": True, "data": {"id": 5, "name": "prepayment", "description": "Vorkasse", "active": True}}
EMPTY = {"success": True, "data": [], "total": 0}

VARIANTS = {
    "success": True,
    "total": 1,
    "data": [
        {
            "id": 124,
            "articleId": 32,
            "unitId": None,
            "number": "KNIT-NAVY-S",
            "supplierNumber": "KN-01",
            "kind": 2,
            "additionalText": "",
            "active": True,
            "inStock": 4,
            "stockMin": 0,
            "lastStock": False,
            "weight": "0.450",
            "ean": "5712345000014",
            "position": 0,
            "prices": [
                {
                    "id": 312,
                    "articleId": 32,
                    "articleDetailsId": 124,
                    "customerGroupKey": "EK",
                    "from": 1,
                    "to": "beliebig",
                    "price": 100.0,
                    "pseudoPrice": 125.0,
                    "percent": 0,
                    "net": 84.033613445378,
                }
            ],
            "article": {"id": 32, "name": "Cable Knit Jumper", "active": True, "taxId": 1},
        }
    ],
}
ARTICLE = {
    "success": True,
    "data": {
        "id": 32,
        "name": "Cable Knit Jumper",
        "active": True,
        "taxId": 1,
        "supplier": {"id": 4, "name": "Nordkyst"},
        "tax": {"id": 1, "tax": "19.00", "name": "19%"},
        "categories": [{"id": 12, "name": "Strick"}],
        "mainDetail": {
            "id": 123,
            "number": "KNIT-NAVY-M",
            "kind": 1,
            "configuratorOptions": [{"id": 7, "groupId": 1, "name": "Navy"}, {"id": 9, "groupId": 2, "name": "M"}],
        },
        "details": [
            {
                "id": 124,
                "number": "KNIT-NAVY-S",
                "kind": 2,
                "configuratorOptions": [{"id": 7, "groupId": 1, "name": "Navy"}, {"id": 8, "groupId": 2, "name": "S"}],
            }
        ],
        "configuratorSet": {"id": 5, "name": "Set-KNIT", "groups": [{"id": 1, "name": "Farbe"}, {"id": 2, "name": "Größe"}]},
    },
}

ORDER = {
    "success": True,
    "data": {
        "id": 15,
        "number": "20001",
        "customerId": 3,
        "paymentId": 5,
        "dispatchId": 9,
        "partnerId": "",
        "shopId": 1,
        "invoiceAmount": 135.0,
        "invoiceAmountNet": 113.45,
        "invoiceShipping": 0.0,
        "invoiceShippingNet": 0.0,
        "orderTime": "2026-05-01T12:00:05+0200",
        "changed": "2026-05-01T12:00:05+0200",
        "transactionId": "order-1",
        "comment": "",
        "customerComment": "",
        "internalComment": "Miinto order 1-m!i!s-045-1234",
        "net": 0,
        "taxFree": 0,
        "temporaryId": "",
        "referer": "",
        "clearedDate": None,
        "trackingCode": "",
        "languageIso": "1",
        "currency": "EUR",
        "currencyFactor": 1,
        "remoteAddress": "",
        "deviceType": None,
        "paymentStatusId": 12,
        "orderStatusId": 0,
        "customer": {"id": 3, "email": "karen@example.com"},
        "details": [
            {
                "id": 41,
                "orderId": 15,
                "articleId": 32,
                "taxId": 1,
                "taxRate": 19.0,
                "statusId": 0,
                "number": "20001",
                "articleNumber": "KNIT-NAVY-M",
                "price": 90.0,
                "quantity": 1,
                "articleName": "Cable Knit Jumper",
                "shipped": 0,
                "shippedGroup": 0,
                "mode": 0,
                "esdArticle": 0,
            },
            {
                "id": 42,
                "orderId": 15,
                "articleId": 33,
                "taxId": 1,
                "taxRate": 19.0,
                "statusId": 0,
                "number": "20001",
                "articleNumber": "TEE-WHITE-M",
                "price": 22.5,
                "quantity": 2,
                "articleName": "Organic Tee",
                "shipped": 0,
                "shippedGroup": 0,
                "mode": 0,
                "esdArticle": 0,
            },
        ],
        "dispatch": {
            "id": 9,
            "name": "DHL Paket",
            "type": 0,
            "description": "",
            "active": True,
            "position": 1,
            "statusLink": '<a href="https://nolp.dhl.de/nextt-online-public/set_identcodes.do?idc={$offerPosition.trackingcode}" '
            'target="_blank">{$offerPosition.trackingcode}</a>',
        },
    },
}
