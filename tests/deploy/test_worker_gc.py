"""A gunicorn worker collects garbage between requests, never inside one: a collection inside a request was the p99 of a
12 ms page (20-30 ms more) in the data-scale run."""

import gc
from types import SimpleNamespace

import pytest

import koongo.gunicorn_conf as conf


@pytest.fixture
def worker():
    was_enabled = gc.isenabled()
    worker = SimpleNamespace()
    conf.post_fork(None, worker)
    yield worker
    if was_enabled:
        gc.enable()


def test_a_forked_worker_collects_nothing_by_itself(worker):
    assert not gc.isenabled()


def test_after_a_request_it_collects_once_enough_was_allocated_with_older_generations_now_and_then(worker, monkeypatch):
    collected = []
    monkeypatch.setattr(conf.gc, "collect", collected.append)
    monkeypatch.setattr(conf.gc, "get_count", lambda: (conf.gc_gen0_threshold - 1, 0, 0))
    conf.post_request(worker, None, {}, None)
    assert collected == []  # below the threshold: nothing to do yet

    monkeypatch.setattr(conf.gc, "get_count", lambda: (conf.gc_gen0_threshold, 0, 0))
    for _ in range(conf.GC_OLDER_EVERY**2):
        conf.post_request(worker, None, {}, None)
    assert collected.count(0) == 90 and collected.count(1) == 9 and collected.count(2) == 1
    assert collected[conf.GC_OLDER_EVERY - 1] == 1 and collected[-1] == 2
