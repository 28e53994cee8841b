"""Tests for the platform registry and the paging, chunking and note helpers."""

import pytest

from koongo.http import PermanentError
from platforms import registry
from platforms.mechanics import append_note, chunked, paginate
from tests.platforms.fake_adapter import AbsoluteAdapter


def test_a_registered_adapter_is_listed_built_and_removed():
    registry.register(AbsoluteAdapter)
    try:
        assert "fake_absolute" in registry.codes()
        adapter = registry.build("fake_absolute", {"store": "s9", "api_key": "k"})
        assert isinstance(adapter, AbsoluteAdapter)
        assert registry.credentials_model("fake_absolute") is AbsoluteAdapter.credentials_model
    finally:
        registry.unregister("fake_absolute")
    assert "fake_absolute" not in registry.codes()
    with pytest.raises(registry.UnknownPlatform):
        registry.adapter_class("fake_absolute")


def test_unknown_codes_are_refused():
    with pytest.raises(registry.UnknownPlatform):
        registry.adapter_class("woocommerce")
    with pytest.raises(registry.UnknownPlatform):
        registry.sandbox_class("woocommerce")


def test_installed_platforms_come_in_display_order():
    assert registry.codes() == [code for code in registry.PLATFORMS if code in registry.codes()]


def test_paginate_follows_cursors_until_none():
    pages = {None: ([1, 2], "c1"), "c1": ([3], "c2"), "c2": ([], None)}
    assert list(paginate(lambda cursor: pages[cursor])) == [1, 2, 3]


def test_paginate_refuses_a_listing_that_never_ends():
    with pytest.raises(PermanentError):
        list(paginate(lambda cursor: ([1], "again"), max_pages=3))


def test_chunked_splits_at_the_batch_size():
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError):
        list(chunked([1], 0))


def test_append_note_adds_a_line_once():
    assert append_note(None, "link") == "link"
    assert append_note("Miinto order 1\n", "link") == "Miinto order 1\nlink"
    assert append_note("Miinto order 1\nlink", "link") is None
