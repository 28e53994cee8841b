"""The GraphQL Admin documents the Shopify adapter sends, each under its own operation name.

Each stays under Shopify's single-query cost cap of 1000 points at the page sizes given (a test checks this),
which is why orders are listed first and their fulfillments and refunds are read one order at a time.
"""

VARIANT_FIELDS = """
      id
      legacyResourceId
      sku
      barcode
      title
      price
      compareAtPrice
      inventoryQuantity
      selectedOptions { name value }
      image { url }
      metafields(first: 10) { nodes { namespace key value } }
      product {
        id
        title
        vendor
        productType
        category { name }
        featuredMedia { preview { image { url } } }
      }"""

REFUND_FIELDS = """
      id
      createdAt
      note
      totalRefundedSet { shopMoney { amount currencyCode } }
      refundLineItems(first: 20) {
        nodes { quantity lineItem { id sku } subtotalSet { shopMoney { amount currencyCode } } }
      }
      refundShippingLines(first: 2) { nodes { subtotalAmountSet { shopMoney { amount currencyCode } } } }"""

SHOP_FACTS = """query shopFacts {
  shop { name currencyCode taxesIncluded myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}"""

METAFIELD_DEFINITIONS = """query metafieldDefinitions {
  metafieldDefinitions(ownerType: PRODUCTVARIANT, first: 50) { nodes { namespace key name } }
}"""

PRODUCT_VARIANTS = f"""query productVariants($first: Int!, $after: String, $query: String) {{
  shop {{ currencyCode taxesIncluded }}
  productVariants(first: $first, after: $after, query: $query, sortKey: ID) {{
    nodes {{{VARIANT_FIELDS}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

INVENTORY_TARGETS = """query inventoryTargets($first: Int!, $after: String, $query: String!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { sku inventoryItem { id inventoryLevels(first: 5) { nodes { location { id } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

ORDERS_BY_SOURCE = """query ordersBySourceIdentifier($query: String!) {
  orders(first: 10, query: $query) { nodes { id name sourceIdentifier } }
}"""

ORDER_CREATE = """mutation orderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name sourceIdentifier }
    userErrors { field message code }
  }
}"""

ORDER_NOTE = """query orderNote($id: ID!) {
  order(id: $id) { id note }
}"""

ORDER_UPDATE = """mutation orderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id note }
    userErrors { field message }
  }
}"""

INVENTORY_ADJUST = """mutation inventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id createdAt reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"""

ORDERS_UPDATED = """query ordersUpdatedSince($query: String!, $after: String) {
  orders(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id name sourceIdentifier }
    pageInfo { hasNextPage endCursor }
  }
}"""

ORDER_FULFILLMENTS = """query orderFulfillments($id: ID!) {
  order(id: $id) {
    id
    name
    sourceIdentifier
    fulfillments(first: 5) {
      id
      name
      status
      createdAt
      updatedAt
      trackingInfo(first: 3) { company number url }
      fulfillmentLineItems(first: 50) { nodes { quantity lineItem { id sku } } }
    }
  }
}"""

ORDER_REFUNDS = f"""query orderRefunds($id: ID!) {{
  order(id: $id) {{
    id
    name
    sourceIdentifier
    refunds(first: 10) {{{REFUND_FIELDS}
    }}
  }}
}}"""

ORDER_LINES = """query orderLines($id: ID!) {
  order(id: $id) {
    id
    name
    sourceIdentifier
    currencyCode
    presentmentCurrencyCode
    lineItems(first: 250) { nodes { id sku quantity refundableQuantity unfulfilledQuantity } }
  }
}"""

SUGGESTED_REFUND = """query suggestedRefund($id: ID!, $refundLineItems: [RefundLineItemInput!], $shippingAmount: Money) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $refundLineItems, shippingAmount: $shippingAmount) {
      amountSet { shopMoney { amount currencyCode } }
      subtotalSet { shopMoney { amount currencyCode } }
      totalTaxSet { shopMoney { amount currencyCode } }
      shipping { amountSet { shopMoney { amount currencyCode } } }
      refundLineItems { quantity lineItem { id sku } subtotalSet { shopMoney { amount currencyCode } } }
      suggestedTransactions {
        gateway
        kind
        parentTransaction { id gateway }
        amountSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      }
    }
  }
}"""

REFUND_CREATE = f"""mutation refundCreate($input: RefundInput!, $idempotencyKey: String!) {{
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {{
    refund {{{REFUND_FIELDS}
    }}
    userErrors {{ field message }}
  }}
}}"""

PRIMARY_LOCATION = """query primaryLocation {
  locations(first: 1) { nodes { id } }
}"""

WEBHOOK_SUBSCRIPTIONS = """query webhookSubscriptions {
  webhookSubscriptions(first: 100) { nodes { id topic uri } }
}"""

WEBHOOK_SUBSCRIPTION_CREATE = """mutation webhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!
  $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
