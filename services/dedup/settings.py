"""Settings of the dedup service (``XUEJI_`` environment variables)."""

from typing import Self

from pydantic import Field, SecretStr, model_validator

from services.common.settings import ServiceSettings


class DedupSettings(ServiceSettings):
    PEPPER: SecretStr = SecretStr("local-development-pepper-not-for-production")
    HTTP_PORT: int = 8001
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
        """Outside local and test the pepper keys every identity hash: at least 32 random bytes."""
        pepper = self.PEPPER.get_secret_value().encode()
        if not self.is_development and (len(pepper) < 32 or len(set(pepper)) < 16):
            raise ValueError("XUEJI_PEPPER must be at least 32 random bytes (e.g. `openssl rand -base64 48`)")
        return self
