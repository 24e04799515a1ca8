"""Settings of the evidence service (``XUEJI_`` environment variables)."""

from typing import Self

from pydantic import Field, SecretStr, model_validator

from services.common.settings import ServiceSettings

from .domain.files import DEFAULT_TYPES, MAX_BYTES


class EvidenceSettings(ServiceSettings):
    HTTP_PORT: int = 8003
    MANAGEMENT_PORT: int = 9003
    CONSUMER_GROUP: str = "xueji-evidence"
    S3_ENDPOINT: str = "127.0.0.1:9000"
    S3_ACCESS_KEY: str = "xueji-local"
    S3_SECRET_KEY: SecretStr = SecretStr("xueji-local-secret")
    S3_SECURE: bool = False
    S3_REGION: str = "us-east-1"
    BUCKET_PREFIX: str = "xueji-evidence"
    MAX_FILE_BYTES: int = MAX_BYTES
    MAX_FILES_PER_UPLOAD: int = 10
    ALLOWED_TYPES: tuple[str, ...] = DEFAULT_TYPES
    # [decided] content rules per province, e.g. {"440000": ["jpg"]}; others use ALLOWED_TYPES
    PROVINCE_TYPES: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    LINK_SECONDS: int = 300
    # case events read and learnt together: each group's case read once and written once a batch
    CASE_BATCH_RECORDS: int = Field(default=500, gt=0)
    OUTBOX_SWEEP_SECONDS: float = 10.0
    # an object no evidence record names is removed once this old (a crash between write and record)
    ORPHAN_AGE_SECONDS: float = 900.0
    ORPHAN_SWEEP_SECONDS: float = 300.0

    @model_validator(mode="after")
    def _bounded_links(self) -> Self:
        """Outside local and test a download link lives between 30 s and an hour."""
        if not self.is_development and not 30 <= self.LINK_SECONDS <= 3600:
            raise ValueError(f"XUEJI_LINK_SECONDS must be within 30–3600 s, not {self.LINK_SECONDS}")
        return self

    @model_validator(mode="after")
    def _orphans_old_enough(self) -> Self:
        """Outside local and test the sweep never reaches an upload still being recorded."""
        if not self.is_development and self.ORPHAN_AGE_SECONDS < 60:
            raise ValueError(f"XUEJI_ORPHAN_AGE_SECONDS must be at least 60 s, not {self.ORPHAN_AGE_SECONDS}")
        return self

    def allowed_types(self, province_code: str) -> tuple[str, ...]:
        return self.PROVINCE_TYPES.get(province_code, self.ALLOWED_TYPES)
