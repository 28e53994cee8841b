#!/usr/bin/env bash
# Starts `make demo` on a spare port, signs in as the demo user with curl, checks the overview, then stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${DEMO_PORT:-8099}
jar=$(mktemp); log=$(mktemp)
DEMO_PORT=$port setsid make demo >"$log" 2>&1 &
pid=$!
# `set -e` holds in the trap too: the demo's exit status (143, from our TERM) must not become this script's.
trap 'status=$?; kill -TERM -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$jar"; exit $status' EXIT
# A fresh clone first builds the virtualenv (a few minutes); the loop ends as soon as the demo answers.
for _ in $(seq 900); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 1; done
curl -fs -c "$jar" "http://127.0.0.1:$port/login/" >/dev/null
token=$(awk '/csrftoken/ {print $7}' "$jar")
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" -e "http://127.0.0.1:$port/login/" \
  --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=demo@koongo.local" \
  --data-urlencode "password=demo-miinto-2026" "http://127.0.0.1:$port/login/")
[ "$code" = 302 ] || { echo "login answered $code"; tail -40 "$log"; exit 1; }
curl -fs -b "$jar" "http://127.0.0.1:$port/" | grep -q "Demo Fashion ApS" || { echo "overview does not show the demo merchant"; exit 1; }
echo "demo OK: login page served and the demo user signed in on port $port"
