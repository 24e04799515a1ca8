"""Settings of the notify service (``XUEJI_`` environment variables)."""

from datetime import time, timedelta
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from xueji_contracts.provinces import PROVINCES

from services.common.settings import ServiceSettings

from .domain.delivery import RetryPolicy, Webhook, webhook_for


class NotifySettings(ServiceSettings):
    HTTP_PORT: int = 8004
    MANAGEMENT_PORT: int = 9004
    CONSUMER_GROUP: str = "xueji-notify"
    # The provinces this shard serves: it consumes only their case topics (all by default).
    PROVINCE_CODES: tuple[str, ...] = tuple(PROVINCES)
    # Case events consumed together at most (their inbox entries and jobs written in one call each).
    CASE_BATCH_RECORDS: int = Field(default=200, gt=0)
    # Province systems' webhooks: {"440000": "https://..."} and their secrets (from a Secret).
    WEBHOOK_URLS: dict[str, str] = Field(default_factory=dict)
    WEBHOOK_SECRETS: dict[str, SecretStr] = Field(default_factory=dict)
    WEBHOOK_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)  # one attempt at most
    # Delivery jobs (README "Webhook delivery"): a failed attempt is tried again after
    # DELIVERY_BACKOFF_SECONDS, doubled each time up to DELIVERY_BACKOFF_MAX_SECONDS (±50 % jitter,
    # at least what Retry-After asks), until DELIVERY_HORIZON_HOURS after it was queued; then parked.
    DELIVERY_BACKOFF_SECONDS: float = Field(default=1.0, gt=0)
    DELIVERY_BACKOFF_MAX_SECONDS: float = Field(default=600.0, gt=0)
    DELIVERY_HORIZON_HOURS: float = Field(default=24.0, gt=0)
    # An endpoint's circuit opens after this many failed attempts in a row, for CIRCUIT_PAUSE_SECONDS
    # (doubled each time it re-opens, at most CIRCUIT_MAX_PAUSE_SECONDS); then one probe goes.
    CIRCUIT_FAILURES: int = Field(default=5, ge=1)
    CIRCUIT_PAUSE_SECONDS: float = Field(default=30.0, gt=0)
    CIRCUIT_MAX_PAUSE_SECONDS: float = Field(default=600.0, gt=0)
    DELIVERY_IDLE_SECONDS: float = Field(default=1.0, gt=0)  # an idle endpoint looks for jobs this often
    DELIVERY_METRICS_SECONDS: float = Field(default=15.0, gt=0)  # per-endpoint gauges refreshed
    PAGE_SIZE_MAX: int = 200
    # Daily digest e-mail, for the organisations that asked for one: {"110105": "bureau@example.cn"}
    DIGEST_EMAILS: dict[str, str] = Field(default_factory=dict)
    # It is due once a day per organisation, from this time of the day where the organisations are
    # (a naive "HH:MM"; the zone says where); every replica checks, the first to claim a day sends.
    DIGEST_LOCAL_TIME: time = time(7, 30)
    DIGEST_TIME_ZONE: ZoneInfo = Field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    DIGEST_CHECK_SECONDS: float = Field(default=60.0, gt=0)
    DIGEST_FROM: str = "xueji@localhost"
    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_STARTTLS: bool = False

    @field_validator("DIGEST_LOCAL_TIME")
    @classmethod
    def _digest_time_naive(cls, value: time) -> time:
        """The zone is ``DIGEST_TIME_ZONE``'s: a time with its own offset would say another."""
        if value.tzinfo is not None:
            raise ValueError("XUEJI_DIGEST_LOCAL_TIME is a local time without offset, e.g. 07:30")
        return value

    @model_validator(mode="after")
    def _webhooks_signed(self) -> Self:
        """Outside local and test every configured webhook has a non-empty secret."""
        unsigned = sorted(p for p in self.WEBHOOK_URLS
                          if not (self.WEBHOOK_SECRETS.get(p) or SecretStr("")).get_secret_value())
        if not self.is_development and unsigned:
            raise ValueError(f"XUEJI_WEBHOOK_SECRETS has no non-empty secret for {', '.join(unsigned)}")
        return self

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.DELIVERY_BACKOFF_SECONDS, self.DELIVERY_BACKOFF_MAX_SECONDS,
                           timedelta(hours=self.DELIVERY_HORIZON_HOURS))

    def webhooks(self) -> dict[str, Webhook]:
        """The province webhooks that can be used, by province."""
        secrets = {province: secret.get_secret_value() for province, secret in self.WEBHOOK_SECRETS.items()}
        found = {province: webhook_for(province, url, secrets.get(province))
                 for province, url in self.WEBHOOK_URLS.items()}
        return {province: hook for province, hook in found.items() if hook is not None}
