"""How the simulated Miinto renders its state on the wire: the JSON shapes of §2–§4 and §11."""

from __future__ import annotations

from datetime import UTC, datetime

from miinto.sandbox.state import Order, Position, Return, Shipment, Transfer


def timestamp(seconds: float) -> str:
    """ISO 8601 without fractional seconds, as Miinto sends `createdAt`."""
    return datetime.fromtimestamp(int(seconds), UTC).isoformat()


def item(position: Position) -> dict:
    return {"gtin": position.gtin, "name": position.name, "brand": position.brand, "productId": position.product_id}


def pending_position(position: Position) -> dict:
    return {"id": position.id, "quantity": position.quantity, "price": position.price, "item": item(position)}


def transfer_summary(transfer: Transfer) -> dict:
    """A transfer as listed (§4): only the positions still pending; declined ones go to other merchants."""
    return {
        "id": transfer.id,
        "createdAt": timestamp(transfer.created_at),
        "status": transfer.status,
        "pendingPositions": [pending_position(p) for p in transfer.positions if p.status == "pending"],
    }


def transfer_detail(transfer: Transfer) -> dict:
    """`GET /transfers/{id}` (§11)."""
    return {
        "id": transfer.id,
        "createdAt": timestamp(transfer.created_at),
        "status": transfer.status,
        "positions": [{**pending_position(p), "status": p.status} for p in transfer.positions],
        "newOrder": {"id": transfer.order_id} if transfer.order_id is not None else None,
    }


def order(order: Order) -> dict:
    sent = order.sent_position_ids
    return {
        "id": order.id,
        "status": order.status,
        "currency": order.currency,
        "createdAt": timestamp(order.created_at),
        "parentOrder": {"id": order.parent_id, "createdAt": timestamp(order.created_at)},
        "acceptedPositions": [{**pending_position(p), "status": "sent" if p.id in sent else "accepted"} for p in order.positions],
        "billingInformation": order.billing,
        "shippingInformation": {
            "deliveryAddress": order.delivery,
            "deliveryOptions": {"initial": {"providerId": order.initial_provider_id}, "override": None},
        },
    }


def shipment(shipment: Shipment) -> dict:
    return {
        "id": shipment.id,
        "status": "sent",
        "trackAndTrace": shipment.track_and_trace,
        "positions": [{"id": i} for i in shipment.position_ids],
    }


def return_(found: Return) -> dict:
    return {
        "id": found.id,
        "orderId": found.order_id,
        "status": found.status,
        "origin": found.origin,
        "createdAt": timestamp(found.created_at),
        "reason": found.reason,
        "customerComment": found.customer_comment,
        "decisionReason": found.decision_reason,
        "positions": [
            {
                "id": p.id,
                "orderPositionId": p.order_position_id,
                "quantity": p.quantity,
                "price": p.price,
                "currency": p.currency,
                "reason": p.reason,
            }
            for p in found.positions
        ],
    }


def success(data, **meta) -> dict:
    return {"meta": {"status": "success", **meta}, "data": data}


def failure(message: str, code: str) -> dict:
    return {"meta": {"status": "failure", "message": message, "code": code}, "data": None}
