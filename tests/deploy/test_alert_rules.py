"""The alert rules pass promtool's checks and unit tests, and Debian's Prometheus scrapes a live server with them."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
TOKEN = "scrape-token-for-tests"


def test_the_rules_are_valid_and_every_alert_has_a_runbook_entry():
    checked = subprocess.run([PROMTOOL, "check", "rules", "alerts.yml"], cwd=RULES, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout
    runbook = (RULES / "RUNBOOK.md").read_text()
    for line in (RULES / "alerts.yml").read_text().splitlines():
        if line.strip().startswith("- alert:"):
            assert f"## {line.split(':', 1)[1].strip()}" in runbook


def test_the_rules_unit_tests_pass():
    tested = subprocess.run([PROMTOOL, "test", "rules", "alerts_test.yml"], cwd=RULES, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _query(port: int, expression: str) -> list:
    answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": expression}, timeout=5).json()
    return answer["data"]["result"]


@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_a_live_server_with_the_projects_rules(live_server, settings, tmp_path):
    settings.METRICS_TOKEN = TOKEN
    target = live_server.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n"
        f"rule_files: ['{RULES / 'alerts.yml'}']\n"
        f"scrape_configs:\n"
        f"  - job_name: koongo-web\n"
        f"    metrics_path: /metrics\n"
        f"    authorization: {{credentials: {TOKEN}}}\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = _free_port()
    server = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline, up = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                up = _query(port, 'up{job="koongo-web"}')
            except (httpx.HTTPError, KeyError, ValueError):
                up = []
            if up and up[0]["value"][1] == "1":
                break
            time.sleep(0.5)
        assert up and up[0]["value"][1] == "1"
        rows = _query(port, "koongo_outbox_rows")
        assert {row["metric"]["kind"] for row in rows} >= {"orders.decisionpush", "orders.storepush"}
        rules = httpx.get(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5).json()["data"]["groups"][0]["rules"]
        assert len(rules) == 6
    finally:
        server.terminate()
        server.wait(timeout=20)
