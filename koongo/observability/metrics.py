"""The project's Prometheus metrics. Labels carry bounded values only (flows, remotes, outcomes, kinds), never ids.

Pure prometheus-client, no Django: the HTTP base in koongo.http counts remote calls here too. Under gunicorn and
Celery's prefork pool the client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR) sums the processes at scrape time.
"""

from prometheus_client import Counter, Histogram, disable_created_metrics

disable_created_metrics()  # the *_created series double every family and no rule of ours reads them

RUN_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900)
CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

SYNC_RUN_SECONDS = Histogram(
    "koongo_sync_run_duration_seconds", "Sync runs by flow and outcome (succeeded, partial, failed).", ["flow", "outcome"],
    buckets=RUN_BUCKETS,
)
POSITIONS_DECIDED = Counter(
    "koongo_positions_decided_total", "Positions accepted or declined, by rule (auto, manual) and reason code.",
    ["decision", "rule", "reason"],
)
# Every effect on a remote runs as an outbox row, so one counter covers them all: kind orders.storepush done is an
# order pushed to the store (dead: failed for good), rma.refundpush done a refund sent, rma.rmarequestpush done an
# RMA request sent, orders.decisionpush done a decision confirmed by Miinto.
OUTBOX_EXECUTIONS = Counter(
    "koongo_outbox_executions_total", "Outbox row executions by kind and outcome (done, failed, dead, ...).",
    ["kind", "outcome"],
)
REMOTE_CALLS = Counter(
    "koongo_remote_calls_total", "Outbound calls by remote and outcome (ok, rate_limited, auth, transient, permanent).",
    ["remote", "outcome"],
)
REMOTE_CALL_SECONDS = Histogram("koongo_remote_call_duration_seconds", "Outbound call latency by remote.", ["remote"],
                                buckets=CALL_BUCKETS)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "koongo_remote_rate_limit_wait_seconds_total", "Seconds spent waiting on our own rate limiters, by remote.", ["remote"]
)
