"""Settings of the console (``xueji-console``): where the APIs it calls are, and its session key.

The console is a client of the workflow, evidence and notify APIs: it keeps nothing but a
signed session cookie, and every call carries the user's own token. In production it runs
behind the organisation's OIDC proxy, which passes the user's access token in
``XUEJI_CONSOLE_TOKEN_HEADER`` (oauth2-proxy's ``X-Forwarded-Access-Token`` by default, or
``Authorization: Bearer``). The local sign-in page that mints a development token exists only
in the local and test environments.
"""

from typing import ClassVar

from pydantic import Field, SecretStr

from services.common.settings import ServiceSettings, require_random_bytes

DEVELOPMENT_SESSION_KEY = "local-development-console-session-key-not-for-production"


class ConsoleSettings(ServiceSettings):
    UNUSED_SECRETS: ClassVar[frozenset[str]] = frozenset({"MONGO_URI"})  # it owns no database
    HTTP_PORT: int = 8006
    MANAGEMENT_PORT: int = 9006
    WORKFLOW_URL: str = "http://127.0.0.1:8002"
    EVIDENCE_URL: str = "http://127.0.0.1:8003"
    NOTIFY_URL: str = "http://127.0.0.1:8004"
    # the workflow's management port, whose /healthz is the console's readiness
    WORKFLOW_MANAGEMENT_URL: str = "http://127.0.0.1:9002"
    # the management ports whose /metrics the operator's overview reads for dead-letter counts
    # (name=url, comma separated)
    METRICS_URLS: str = ("dedup=http://127.0.0.1:9001,workflow=http://127.0.0.1:9002,"
                         "evidence=http://127.0.0.1:9003,notify=http://127.0.0.1:9004")
    CONSOLE_TOKEN_HEADER: str = "X-Forwarded-Access-Token"  # noqa: S105 — a header's name
    CONSOLE_SESSION_KEY: SecretStr = SecretStr(DEVELOPMENT_SESSION_KEY)
    CONSOLE_SESSION_HOURS: int = Field(default=8, ge=1, le=12)
    CONSOLE_API_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    # what the upload form checks before sending (the evidence service decides; these only spare a wait)
    CONSOLE_MAX_FILE_BYTES: int = 2 * 1024 * 1024
    CONSOLE_FILE_TYPES: tuple[str, ...] = ("doc", "rar", "jpg")

    def model_post_init(self, context: object, /) -> None:
        require_random_bytes("CONSOLE_SESSION_KEY", self.CONSOLE_SESSION_KEY, self.is_development)

    @property
    def secure_cookies(self) -> bool:
        """Session cookies travel only over HTTPS outside local and test."""
        return not self.is_development

    def metrics_urls(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for item in self.METRICS_URLS.split(",") if "=" in item)
        return {name.strip(): url.strip() for name, url in pairs}
