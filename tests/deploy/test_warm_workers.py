"""Gunicorn's master warms the app before it forks: a new worker compiles no URL pattern and no template on its first
requests (the data-scale run measured 100-500 ms first requests, its p99s)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter: gunicorn's when_ready, then count what the first requests of each kind would still build.
PROBE = """
import json, django
django.setup()
from django.template import base as template_base
from django.urls import resolvers, reverse
from django.utils import translation
import koongo.gunicorn_conf as conf
from koongo.money import money_text
from koongo.timefmt import when_text
from django.utils import timezone
from decimal import Decimal
from django.template.loader import get_template

if WARM:
    conf.when_ready(None)
built = {"url_patterns": 0, "templates": 0}
populate, compile_nodelist = resolvers.URLResolver._populate, template_base.Template.compile_nodelist
def counted_populate(self):
    built["url_patterns"] += 1
    return populate(self)
def counted_compile(self):
    built["templates"] += 1
    return compile_nodelist(self)
resolvers.URLResolver._populate = counted_populate
template_base.Template.compile_nodelist = counted_compile
for code in ("en", "da", "de"):
    with translation.override(code):
        reverse("admin:index"), reverse("overview"), reverse("order-list")
        get_template("orders/list.html"), get_template("connections/problems.html")
        money_text(Decimal("1.00"), "DKK"), when_text(timezone.now())
print(json.dumps(built))
"""


def _probe(warm: bool) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "koongo.settings", "DEBUG": "false"}
    done = subprocess.run([sys.executable, "-c", f"WARM = {warm}\n{PROBE}"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_forked_after_when_ready_builds_no_url_pattern_and_no_template():
    cold = _probe(warm=False)  # what a worker paid on its first requests without the warm-up
    assert cold["url_patterns"] > 0 and cold["templates"] > 0, cold
    assert _probe(warm=True) == {"url_patterns": 0, "templates": 0}
