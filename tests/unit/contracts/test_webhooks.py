"""The signature helper province systems use to check a webhook delivery."""

import pytest
from xueji_contracts.webhooks import EVENT_ID, SIGNATURE, TIMESTAMP, SeenEvents, sign, signature, verify

SECRET, BODY = b"province-secret", b'{"event_type":"case.group_closed"}'


def test_a_signed_delivery_verifies() -> None:
    headers = sign(SECRET, "e1", BODY, now=1_000_000)
    assert verify(SECRET, headers, BODY, now=1_000_010)


def test_a_tampered_body_a_wrong_secret_or_missing_headers_fail() -> None:
    headers = sign(SECRET, "e1", BODY, now=1_000_000)
    assert not verify(SECRET, headers, BODY + b" ", now=1_000_000)
    assert not verify(b"other", headers, BODY, now=1_000_000)
    assert not verify(SECRET, {k: v for k, v in headers.items() if k != SIGNATURE}, BODY, now=1_000_000)


def test_a_replay_outside_the_window_fails() -> None:
    headers = sign(SECRET, "e1", BODY, now=1_000_000)
    assert not verify(SECRET, headers, BODY, now=1_000_000 + 301)
    assert not verify(
        SECRET, {**headers, TIMESTAMP: "1000400"}, BODY, now=1_000_400
    )  # re-dated: signature breaks


def test_v2_signs_the_event_id_so_a_swapped_id_fails() -> None:
    headers = sign(SECRET, "e1", BODY, now=1_000_000)
    assert headers[SIGNATURE].startswith("v2=")
    assert not verify(SECRET, {**headers, EVENT_ID: "e2"}, BODY, now=1_000_000)
    assert not verify(SECRET, {k: v for k, v in headers.items() if k != EVENT_ID}, BODY, now=1_000_000)


def test_v1_signatures_are_accepted_during_the_transition_only() -> None:
    headers = {EVENT_ID: "e1", TIMESTAMP: "1000000", SIGNATURE: signature(SECRET, 1_000_000, BODY)}
    assert headers[SIGNATURE].startswith("v1=")
    assert verify(SECRET, headers, BODY, now=1_000_000)
    assert not verify(SECRET, headers, BODY, now=1_000_000, accept_v1=False)


@pytest.mark.parametrize("bad", ["v2=é" + "0" * 63, "v2=", "", "v3=00", "sha256=00", "v2=\x00"])
def test_a_malformed_signature_is_false_and_never_raises(bad: str) -> None:
    headers = {**sign(SECRET, "e1", BODY, now=1_000_000), SIGNATURE: bad}
    assert verify(SECRET, headers, BODY, now=1_000_000) is False


@pytest.mark.parametrize("timestamp", ["", "soon", "1e400", "9" * 400, "１０００"])
def test_a_malformed_timestamp_is_false(timestamp: str) -> None:
    headers = {**sign(SECRET, "e1", BODY, now=1_000_000), TIMESTAMP: timestamp}
    assert verify(SECRET, headers, BODY, now=1_000_000) is False


def test_a_receiver_drops_an_event_id_it_has_seen() -> None:
    seen = SeenEvents(remember=2)
    assert [seen.first_time(e) for e in ("a", "b", "a")] == [True, True, False]
    seen.first_time("c")
    seen.first_time("d")  # "a" was touched last before c; b and then a fall out
    assert seen.first_time("b")
