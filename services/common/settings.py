"""The settings base every service extends: one ``Settings`` per process.

Fields are upper-case and read from ``XUEJI_``-prefixed environment variables. Secrets
are ``SecretStr``. Outside ``local`` and ``test`` a secret left at its development
default is refused, so a forgotten variable fails at start-up instead of in production.
"""

from pathlib import Path
from typing import ClassVar, Literal, Self

from pydantic import Field, SecretStr, computed_field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from xueji_contracts.refs import member_ref

Environment = Literal["local", "test", "staging", "production"]
DEVELOPMENT_ENVIRONMENTS = ("local", "test")
# the key dedup and the workflow share for finding a record by name (``XUEJI_NAME_SEARCH_KEY``):
# one development default for both, so a local stack finds names without configuring it
DEVELOPMENT_NAME_SEARCH_KEY = "local-development-name-search-key-not-for-production"
DEVELOPMENT_MEMBER_REF_KEY = "local-development-member-ref-key-not-for-production"


def require_random_bytes(name: str, secret: SecretStr, development: bool) -> None:
    """Outside local and test a key of keyed hashes must be at least 32 random bytes."""
    value = secret.get_secret_value().encode()
    if not development and (len(value) < 32 or len(set(value)) < 16):
        raise ValueError(f"XUEJI_{name} must be at least 32 random bytes (e.g. `openssl rand -base64 48`)")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUEJI_", extra="ignore", frozen=True)
    # secrets a process never uses (the console has no database): not refused at their defaults
    UNUSED_SECRETS: ClassVar[frozenset[str]] = frozenset()

    ENVIRONMENT: Environment = "local"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    KAFKA_BOOTSTRAP: str = "127.0.0.1:9092"
    KAFKA_SECURITY_PROTOCOL: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    KAFKA_SASL_MECHANISM: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    KAFKA_SASL_USERNAME: str | None = None
    KAFKA_SASL_PASSWORD: SecretStr | None = None
    KAFKA_CA_FILE: str | None = None
    # An idle consumer waits this long after a fetch that came back empty early (0: no wait).
    # Real Kafka holds fetches itself, so this only matters against brokers that do not.
    KAFKA_EMPTY_FETCH_WAIT_MS: int = 100
    # Allocations between two passes of Python's cycle collector over its youngest objects (0: Python's
    # own, 700 on 3.11 and 3.12). Every pass that reaches the oldest generation walks every object the
    # process holds.
    GC_YOUNG_THRESHOLD: int = Field(default=50_000, ge=0)

    MONGO_URI: SecretStr = SecretStr("mongodb://127.0.0.1:27017/?directConnection=true")
    MONGO_DATABASE: str = "xueji"

    HTTP_HOST: str = "127.0.0.1"
    HTTP_PORT: int = 8000
    # /healthz, /readyz, /metrics and the API's /docs, /redoc and /openapi.json: only on this port, for the
    # kubelet, Prometheus and operators (the API port answers 404 for them)
    MANAGEMENT_PORT: int = 9000
    # HTTP limits (README "HTTP limits"; services/common/limits.py), checked before a route runs.
    # All request headers together, names and values (a 13 MB Authorization header): 431 headers_too_large.
    HTTP_MAX_HEADER_BYTES: int = Field(default=16 * 1024, gt=0)
    # The body of a JSON request: 413 body_too_large, before reading it when Content-Length says so.
    HTTP_MAX_BODY_BYTES: int = Field(default=64 * 1024, gt=0)
    # An upload's body is its files at their largest (the service's MAX_FILES_PER_UPLOAD × MAX_FILE_BYTES)
    # plus this much for the multipart boundaries and part headers.
    HTTP_UPLOAD_OVERHEAD_BYTES: int = Field(default=64 * 1024, ge=0)
    # A body must have arrived this long after the request's headers, or 408 body_timeout
    # (a slow or trickled body holds a connection and a worker's memory).
    HTTP_BODY_TIMEOUT_SECONDS: float = Field(default=15.0, gt=0)
    HTTP_UPLOAD_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)  # the same for an upload
    # Static consumer-group membership: a process restarted with the same id (a crashed container
    # in the same pod) takes its partitions back at once instead of waiting for a rebalance.
    INSTANCE_ID: str | None = None
    # False: serve HTTP and publish, consume nothing (an API-only replica; consumers run elsewhere).
    SUBSCRIBE: bool = True
    # Each subscriber's consumer group is this prefix + "." + what it consumes.
    CONSUMER_GROUP: str = "xueji"

    JWT_PUBLIC_KEY_FILES: tuple[Path, ...] = ()  # production: the identity provider's public keys
    JWT_LOCAL_KEY_DIR: Path = Path(".local/dev-jwt")  # development only: the local signing pair
    JWT_JWKS_URL: str | None = None  # production: or the identity provider's JWKS endpoint
    JWT_ISSUER: str = "xueji"  # the identity provider's "iss"
    JWT_AUDIENCE: str = "xueji"  # this service's "aud" at the identity provider
    JWT_MAX_LIFETIME_SECONDS: int = Field(default=12 * 3600, ge=60, le=7 * 24 * 3600)

    # The key of ``member_ref`` (xueji_contracts.refs), the same for every service: a member named
    # where its registry number may not go (other provinces, object stores).
    MEMBER_REF_KEY: SecretStr = SecretStr(DEVELOPMENT_MEMBER_REF_KEY)

    def member_ref(self, registry_number: str) -> str:
        return member_ref(self.MEMBER_REF_KEY.get_secret_value().encode(), registry_number)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_development(self) -> bool:
        return self.ENVIRONMENT in DEVELOPMENT_ENVIRONMENTS

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.is_development:
            return self
        require_random_bytes("MEMBER_REF_KEY", self.MEMBER_REF_KEY, development=False)
        defaults = [
            name
            for name, field in type(self).model_fields.items()
            if isinstance(field.default, SecretStr) and getattr(self, name) == field.default
            and name not in self.UNUSED_SECRETS
        ]
        if defaults:
            raise ValueError(
                f"XUEJI_{', XUEJI_'.join(defaults)} still hold development defaults; "
                f"set them for ENVIRONMENT={self.ENVIRONMENT}"
            )
        return self
