"""Tests for the Standard Webhooks scheme: the spec's own example vector, tampering, keys, rotation and timestamps."""

import pytest

from platforms.errors import WebhookRejected
from platforms.standard_webhooks import key_from_secret, sign, verify

# The example in the Standard Webhooks specification and its reference libraries' tests.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(signature=SIGNATURE, timestamp=TIMESTAMP, message_id=MESSAGE_ID):
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_the_specs_example_signs_and_verifies():
    key = key_from_secret(SECRET)
    assert sign(key, MESSAGE_ID, TIMESTAMP, BODY) == SIGNATURE
    assert verify(key, _headers(), BODY, now=TIMESTAMP + 10) == MESSAGE_ID


def test_a_tampered_body_or_id_is_rejected():
    key = key_from_secret(SECRET)
    with pytest.raises(WebhookRejected, match="does not match"):
        verify(key, _headers(), b'{"test": 2432232315}', now=TIMESTAMP)
    with pytest.raises(WebhookRejected, match="does not match"):
        verify(key, _headers(message_id="msg_other"), BODY, now=TIMESTAMP)


def test_a_wrong_key_is_rejected():
    with pytest.raises(WebhookRejected, match="does not match"):
        verify(b"another secret", _headers(), BODY, now=TIMESTAMP)


def test_any_of_several_signatures_may_match_during_a_key_rotation():
    headers = _headers(signature=f"v1,bm90IHRoaXMgb25l {SIGNATURE} v2,ignored")
    assert verify(key_from_secret(SECRET), headers, BODY, now=TIMESTAMP) == MESSAGE_ID


def test_timestamps_outside_the_tolerance_are_rejected_either_way():
    key = key_from_secret(SECRET)
    assert verify(key, _headers(), BODY, now=TIMESTAMP + 300) == MESSAGE_ID
    with pytest.raises(WebhookRejected, match="301 s off"):
        verify(key, _headers(), BODY, now=TIMESTAMP + 301)
    with pytest.raises(WebhookRejected, match="more than the 300 s"):
        verify(key, _headers(), BODY, now=TIMESTAMP - 301)


def test_missing_headers_and_a_non_numeric_timestamp_are_rejected():
    key = key_from_secret(SECRET)
    with pytest.raises(WebhookRejected, match="lacks"):
        verify(key, {"webhook-id": MESSAGE_ID}, BODY, now=TIMESTAMP)
    with pytest.raises(WebhookRejected, match="not a number"):
        verify(key, _headers(timestamp="soon"), BODY, now=TIMESTAMP)
