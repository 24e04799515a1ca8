"""Settings of the dedup service (``XUEJI_`` environment variables)."""

from typing import Self

from pydantic import Field, SecretStr, model_validator

from services.common.settings import DEVELOPMENT_NAME_SEARCH_KEY, ServiceSettings, require_random_bytes


class DedupSettings(ServiceSettings):
    PEPPER: SecretStr = SecretStr("local-development-pepper-not-for-production")
    # keys each member brief's ``name_key``; the workflow holds the same key to find records by name
    NAME_SEARCH_KEY: SecretStr = SecretStr(DEVELOPMENT_NAME_SEARCH_KEY)
    HTTP_PORT: int = 8001
    MANAGEMENT_PORT: int = 9001
    BATCH_MAX_RECORDS: int = 500
    BATCH_TIMEOUT_MS: int = 100
    # consumers of the registration topic in one process, each with its own partitions, so one
    # batch's database writes overlap the next batch's work (order per record is kept: a record
    # always arrives on the same partition)
    REGISTRATION_CONSUMERS: int = Field(default=3, ge=1, le=12)
    CONSUMER_GROUP: str = "xueji-dedup"
    OUTBOX_SWEEP_SECONDS: float = 30.0

    @model_validator(mode="after")
    def _strong_pepper(self) -> Self:
        """Outside local and test the pepper keys every identity hash, the search key every name's
        search hash: each at least 32 random bytes, and never the same (the workflow holds the latter)."""
        require_random_bytes("PEPPER", self.PEPPER, self.is_development)
        require_random_bytes("NAME_SEARCH_KEY", self.NAME_SEARCH_KEY, self.is_development)
        if not self.is_development and self.NAME_SEARCH_KEY == self.PEPPER:
            raise ValueError("XUEJI_NAME_SEARCH_KEY must differ from XUEJI_PEPPER")
        return self
