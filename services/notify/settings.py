"""Settings of the notify service (``XUEJI_`` environment variables)."""

from typing import Self

from pydantic import Field, SecretStr, model_validator
from xueji_contracts.provinces import PROVINCES

from services.common.settings import ServiceSettings

from .domain.delivery import Webhook, webhook_for


class NotifySettings(ServiceSettings):
    HTTP_PORT: int = 8004
    CONSUMER_GROUP: str = "xueji-notify"
    # The provinces this shard serves: it consumes only their case topics (all by default).
    PROVINCE_CODES: tuple[str, ...] = tuple(PROVINCES)
    # Province systems' webhooks: {"440000": "https://..."} and their secrets (from a Secret).
    WEBHOOK_URLS: dict[str, str] = Field(default_factory=dict)
    WEBHOOK_SECRETS: dict[str, SecretStr] = Field(default_factory=dict)
    WEBHOOK_TIMEOUT_SECONDS: float = 10.0
    WEBHOOK_ATTEMPTS: int = 6
    WEBHOOK_BACKOFF_SECONDS: float = 1.0  # doubled after each attempt, with jitter
    PAGE_SIZE_MAX: int = 200
    # Daily digest e-mail, for the organisations that asked for one: {"110105": "bureau@example.cn"}
    DIGEST_EMAILS: dict[str, str] = Field(default_factory=dict)
    DIGEST_HOUR_UTC: int = Field(default=0, ge=0, le=23)  # 08:00 in Beijing
    DIGEST_FROM: str = "xueji@localhost"
    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_STARTTLS: bool = False

    @model_validator(mode="after")
    def _webhooks_signed(self) -> Self:
        """Outside local and test every configured webhook has a non-empty secret."""
        unsigned = sorted(p for p in self.WEBHOOK_URLS
                          if not (self.WEBHOOK_SECRETS.get(p) or SecretStr("")).get_secret_value())
        if not self.is_development and unsigned:
            raise ValueError(f"XUEJI_WEBHOOK_SECRETS has no non-empty secret for {', '.join(unsigned)}")
        return self

    def webhooks(self) -> dict[str, Webhook]:
        """The province webhooks that can be used, by province."""
        secrets = {province: secret.get_secret_value() for province, secret in self.WEBHOOK_SECRETS.items()}
        found = {province: webhook_for(province, url, secrets.get(province))
                 for province, url in self.WEBHOOK_URLS.items()}
        return {province: hook for province, hook in found.items() if hook is not None}
