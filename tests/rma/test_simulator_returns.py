"""The Miinto simulator's return additions: buyer e-mails, decisions made in Miinto, and RMA requests answering 405."""

import httpx
import pytest

from koongo.http import PermanentError
from koongo.sandbox_kit import wsgi_transport
from miinto.client import MiintoClient
from miinto.environments import MiintoEnvironment
from miinto.sandbox import MiintoSimulator

USER, PASSWORD, DK = "sim@nordic.example", "pw", "1-m!i!s-045-5001"


@pytest.fixture
def sim():
    simulator = MiintoSimulator(seed=9)
    simulator.state.add_account(USER, PASSWORD, [{"market": "DK", "name": "DK", "localId": 5001}])
    return simulator


def _control(sim, method, path, body=None, expect=200):
    with httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://sim") as http:
        response = http.request(method, f"/_sandbox/{path}", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def _order(sim):
    transfer = sim.state.create_transfer(DK, [{"gtin": "5701234000011", "price": 10000, "quantity": 2}])
    position = transfer.positions[0]
    sim.state.decide_transfer(sim.state.shops[DK], transfer.id, [position.id], [], source="miinto")
    return sim.state.transfers[transfer.id].order_id, position.id


def _client(sim) -> MiintoClient:
    return MiintoClient(MiintoEnvironment.simulator("http://sim"), USER, PASSWORD, transport=wsgi_transport(sim))


def test_decisions_email_the_buyer_and_back_office_decisions_are_not_client_calls(sim):
    order_id, position = _order(sim)
    first = _control(sim, "POST", "returns", {"shopId": DK, "orderId": order_id, "positions": [{"orderPositionId": position, "quantity": 1}]}, 201)
    second = _control(sim, "POST", "returns", {"shopId": DK, "orderId": order_id, "positions": [{"orderPositionId": position, "quantity": 1}]}, 201)
    with _client(sim) as client:
        client.decide_return(DK, first["id"], "declined", "Worn")
    decided = _control(sim, "POST", f"returns/{second['id']}/decide", {"status": "accepted", "reason": "Fine"})
    assert (decided["status"], decided["decisionReason"]) == ("accepted", "Fine")
    effects = _control(sim, "GET", "effects")
    assert [(d["returnId"], d["status"]) for d in effects["returnDecisions"]] == [(first["id"], "declined")]
    assert [(e["returnId"], e["subject"], e["reason"]) for e in effects["buyerEmails"]] == [
        (first["id"], "Your return has been declined", "Worn"),
        (second["id"], "Your return has been accepted", "Fine"),
    ]
    with _client(sim) as client:
        assert client.return_(DK, second["id"]).decision_reason == "Fine"


def test_rma_requests_answer_405_when_switched_off_and_nothing_is_made(sim):
    order_id, position = _order(sim)
    assert _control(sim, "POST", "settings", {"rmaRequestsSupported": False})["rmaRequestsSupported"] is False
    with _client(sim) as client, pytest.raises(PermanentError) as raised:
        client.create_rma_request(DK, order_id, {position: 1}, "Returned in the shop")
    assert raised.value.status == 405
    assert sim.state.returns == {} and sim.state.effects["rmaRequests"] == []
    _control(sim, "POST", "settings", {"rmaRequestsSupported": True})
    with _client(sim) as client:
        made = client.create_rma_request(DK, order_id, {position: 1}, "Returned in the shop")
    assert (made.origin, made.status) == ("merchant", "accepted")
    assert [e["subject"] for e in sim.state.effects["buyerEmails"]] == ["Your return has been accepted"]


def test_deciding_an_unknown_return_in_miinto_is_404(sim):
    assert _control(sim, "POST", "returns/1/decide", {"status": "accepted"}, 404)
