"""How dedup keeps registry numbers at rest (DOMAIN §8): a G registry number is ``G`` + the full ID
number, so documents are found by a keyed hash of the registry number and hold the number itself
only sealed (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``), for the briefs dedup
sends the workflow. Both keys derive from the pepper, dedup's one secret."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet

ID_PREFIX = "idp:"


class Vault:
    def __init__(self, pepper: bytes) -> None:
        self._ids = hmac.new(pepper, b"xueji-dedup-document-ids", hashlib.sha256).digest()
        seal_key = hmac.new(pepper, b"xueji-dedup-sealed-registry-numbers", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(seal_key))

    def record_id(self, registry_number: str) -> str:
        """The ``_id`` of a record: a keyed hash of its registry number."""
        return "r" + hmac.new(self._ids, registry_number.encode(), hashlib.sha256).hexdigest()[:40]

    def group_id(self, key: str) -> str:
        """The ``_id`` of a group: duplicate keys are hashes already; an ID-problem group's key names
        its record, so it is hashed too."""
        return ID_PREFIX + self.record_id(key[len(ID_PREFIX):]) if key.startswith(ID_PREFIX) else key

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode()
