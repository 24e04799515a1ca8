"""The vault seals registry numbers (a G one is the full ID number) and opens what it sealed: with
AES-GCM-SIV now, and with Fernet for what an index stored before."""

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet

from services.dedup.adapters.vault import SEALED, Vault

from .factories import PEPPER

NUMBER = "G11010520120304567X"


def test_a_sealed_number_opens_to_itself_and_shows_nothing_of_it() -> None:
    vault = Vault(PEPPER)
    token = vault.seal(NUMBER)
    assert token.startswith(SEALED)
    assert NUMBER[1:] not in token and NUMBER[-6:] not in token
    assert vault.open(token) == NUMBER


def test_the_same_number_sealed_twice_gives_two_tokens() -> None:
    vault = Vault(PEPPER)
    assert vault.seal(NUMBER) != vault.seal(NUMBER)


def test_a_number_sealed_before_with_fernet_still_opens() -> None:
    key = hmac.new(PEPPER, b"xueji-dedup-sealed-registry-numbers", hashlib.sha256).digest()
    earlier = Fernet(base64.urlsafe_b64encode(key)).encrypt(NUMBER.encode()).decode("ascii")
    assert Vault(PEPPER).open(earlier) == NUMBER


@pytest.mark.parametrize("token", [
    Vault(b"another pepper of thirty-two bytes!").seal(NUMBER),  # another deployment's pepper
    SEALED + "not base64 at all!",
    SEALED[:-1] + "x" + Vault(PEPPER).seal(NUMBER)[len(SEALED):],  # not this prefix
    "gAAAAAB-not-a-fernet-token",
    "已封存",
])
def test_a_token_not_sealed_under_this_pepper_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="not a number sealed"):
        Vault(PEPPER).open(token)


def test_a_tampered_token_is_refused() -> None:
    vault = Vault(PEPPER)
    token = vault.seal(NUMBER)
    raw = bytearray(base64.urlsafe_b64decode(token[len(SEALED):]))
    raw[-1] ^= 1
    with pytest.raises(ValueError, match="not a number sealed"):
        vault.open(SEALED + base64.urlsafe_b64encode(bytes(raw)).decode())
