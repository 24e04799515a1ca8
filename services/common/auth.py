"""Bearer JWT authentication (RS256): who is calling, with which role and organisation.

Production verifies with configured public keys. Development signs with a local key
pair created once under ``.local/dev-jwt`` (``xueji token`` mints tokens with it).
Authorisation (jurisdiction) is each service's own rule, not decided here.
"""

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from xueji_contracts.enums import Role

from .settings import ServiceSettings

ALGORITHM = "RS256"
ISSUER = "xueji"
AUDIENCE = "xueji"


class Principal(BaseModel):
    """The authenticated caller."""

    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    organisation_code: str


class AuthenticationError(Exception):
    """The token is missing, malformed, expired or not signed by a trusted key."""


def local_key_pair(directory: Path) -> tuple[bytes, bytes]:
    """The development signing key pair, created on first use (private, public PEM).

    Processes started together may all find no key: each writes its own to a temporary file
    and links it into place, the first link wins, and every process uses the key that won.
    """
    private_file = directory / "private.pem"
    if not private_file.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".private-", delete=False) as candidate:
            os.chmod(candidate.name, 0o600)
            candidate.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        try:
            os.link(candidate.name, private_file)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(candidate.name)
    private_pem = private_file.read_bytes()
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_pem, public_pem


def mint_token(private_key_pem: bytes, role: Role, organisation_code: str, subject: str | None = None,
               ttl: timedelta = timedelta(hours=8)) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject or f"{role.value}@{organisation_code}", "role": role.value,
              "org": organisation_code, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


class TokenVerifier:
    def __init__(self, public_keys_pem: list[bytes]) -> None:
        if not public_keys_pem:
            raise ValueError("at least one public key is needed to verify tokens")
        self._keys = public_keys_pem

    def verify(self, token: str) -> Principal:
        last: Exception | None = None
        for key in self._keys:
            try:
                claims: dict[str, Any] = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                                    issuer=ISSUER, options={"require": ["exp", "sub"]})
                return Principal(subject=claims["sub"], role=Role(claims["role"]),
                                 organisation_code=str(claims["org"]))
            except (jwt.PyJWTError, KeyError, ValueError) as error:
                last = error
        raise AuthenticationError(str(last))


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    """Configured public keys; the local development pair only in development."""
    if settings.JWT_PUBLIC_KEY_FILES:
        return TokenVerifier([path.read_bytes() for path in settings.JWT_PUBLIC_KEY_FILES])
    if not settings.is_development:
        raise ValueError("XUEJI_JWT_PUBLIC_KEY_FILES must name the identity provider's public keys")
    return TokenVerifier([local_key_pair(settings.JWT_LOCAL_KEY_DIR)[1]])


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller, or 401 (the app stores its TokenVerifier in state)."""
    if credentials is None:
        raise AuthenticationError("a bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
