"""The simulators' fault switches used by the chaos benchmark: timeouts after the change was applied, and counts."""

import httpx

from koongo.sandbox_kit import SandboxApp, json_response


class Counter(SandboxApp):
    def setup_routes(self):
        self.router.add("POST", "/bump", self.bump)

    def reset_state(self):
        self.bumps = 0

    def bump(self, request):
        self.bumps += 1
        return json_response({"bumps": self.bumps})


def client(app):
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sim")


def test_a_timeout_after_apply_runs_the_request_and_answers_504():
    app = Counter(seed=3)
    with client(app) as http:
        http.post("/_sandbox/faults", json={"timeout_rate": 1.0, "timeout_after_apply_share": 1.0, "timeout_seconds": 0})
        response = http.post("/bump")
    assert response.status_code == 504
    assert app.bumps == 1  # applied, though the client never heard so
    assert app.faults.injected == {"timeout_after_apply": 1}


def test_a_plain_timeout_never_reaches_the_handler():
    app = Counter(seed=3)
    with client(app) as http:
        http.post("/_sandbox/faults", json={"timeout_rate": 1.0, "timeout_seconds": 0})
        response = http.post("/bump")
    assert response.status_code == 504
    assert app.bumps == 0
    assert app.faults.injected == {"timeout": 1}


def test_injected_faults_are_counted_by_kind():
    app = Counter(seed=5)
    with client(app) as http:
        http.post("/_sandbox/faults", json={"error_rate": 0.5, "rate_limit_rate": 0.2, "malformed_rate": 0.1})
        statuses = [http.post("/bump").status_code for _ in range(200)]
    injected = app.faults.injected
    assert injected["5xx"] == statuses.count(503)
    assert injected["429"] == statuses.count(429)
    assert app.bumps + sum(injected.values()) == 200
