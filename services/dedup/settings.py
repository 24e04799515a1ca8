"""Settings of the dedup service (``XUEJI_`` environment variables)."""

from pydantic import SecretStr

from services.common.settings import ServiceSettings


class DedupSettings(ServiceSettings):
    PEPPER: SecretStr = SecretStr("local-development-pepper-not-for-production")
    HTTP_PORT: int = 8001
    BATCH_MAX_RECORDS: int = 500
    BATCH_TIMEOUT_MS: int = 100
    CONSUMER_GROUP: str = "xueji-dedup"
    OUTBOX_SWEEP_SECONDS: float = 30.0
