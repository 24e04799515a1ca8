"""The signature helper province systems use to check a webhook delivery."""

from xueji_contracts.webhooks import SIGNATURE, TIMESTAMP, sign, verify

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
