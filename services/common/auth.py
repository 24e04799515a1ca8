"""Bearer JWT authentication (RS256): who is calling, with which role and organisation.

Production verifies with the identity provider's public keys: key files, or its JWKS URL
(``XUEJI_JWT_JWKS_URL``). Issuer and audience are each service's settings
(``XUEJI_JWT_ISSUER``, ``XUEJI_JWT_AUDIENCE``), a token may live at most
``XUEJI_JWT_MAX_LIFETIME_SECONDS``, and its ``org`` must have the shape of its role: a
10-digit school code for school roles, a 6-digit division code for the others.
Development signs with a local key pair created once under ``.local/dev-jwt``
(``xueji token`` mints tokens with it). Authorisation (jurisdiction) is each service's
own rule, not decided here.
"""

import asyncio
import os
import re
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
MAX_LIFETIME = timedelta(hours=12)
SCHOOL_ROLES = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
_SCHOOL_CODE = re.compile(r"\d{10}")
_DIVISION_CODE = re.compile(r"\d{6}")


def organisation_fits(role: Role, organisation_code: str) -> bool:
    """A school role acts for a school (10 digits); every other role for a division (6 digits)."""
    shape = _SCHOOL_CODE if role in SCHOOL_ROLES else _DIVISION_CODE
    return shape.fullmatch(organisation_code) is not None


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
               ttl: timedelta = timedelta(hours=8), issuer: str = ISSUER, audience: str = AUDIENCE) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject or f"{role.value}@{organisation_code}", "role": role.value,
              "org": organisation_code, "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


class TokenVerifier:
    def __init__(self, public_keys_pem: list[bytes], *, issuer: str = ISSUER, audience: str = AUDIENCE,
                 max_lifetime: timedelta = MAX_LIFETIME, jwks: jwt.PyJWKClient | None = None) -> None:
        if not public_keys_pem and jwks is None:
            raise ValueError("at least one public key or a JWKS URL is needed to verify tokens")
        self._keys = public_keys_pem
        self._jwks = jwks
        self.issuer, self.audience, self.max_lifetime = issuer, audience, max_lifetime

    @property
    def fetches_keys(self) -> bool:
        """Whether verifying may fetch the identity provider's keys (blocking I/O: run in a thread)."""
        return self._jwks is not None

    def _candidate_keys(self, token: str) -> list[Any]:
        if self._jwks is None:
            return list(self._keys)
        try:
            return [self._jwks.get_signing_key_from_jwt(token).key, *self._keys]
        except jwt.PyJWTError:
            return list(self._keys)

    def verify(self, token: str) -> Principal:
        last: Exception | None = None
        for key in self._candidate_keys(token):
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key, algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuer,
                    options={"require": ["exp", "iat", "sub"]})
                principal = Principal(subject=claims["sub"], role=Role(claims["role"]),
                                      organisation_code=str(claims["org"]))
            except (jwt.PyJWTError, KeyError, ValueError) as error:
                last = error
                continue
            if claims["exp"] - claims["iat"] > self.max_lifetime.total_seconds():
                raise AuthenticationError(f"the token lives longer than {self.max_lifetime}")
            if not organisation_fits(principal.role, principal.organisation_code):
                raise AuthenticationError(f"org is not shaped like a {principal.role.value}'s organisation")
            return principal
        raise AuthenticationError(str(last or "no key verifies the token"))


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    """Configured public keys or JWKS URL; the local development pair only in development."""
    limits: dict[str, Any] = {"issuer": settings.JWT_ISSUER, "audience": settings.JWT_AUDIENCE,
                              "max_lifetime": timedelta(seconds=settings.JWT_MAX_LIFETIME_SECONDS)}
    jwks = jwt.PyJWKClient(settings.JWT_JWKS_URL, cache_keys=True) if settings.JWT_JWKS_URL else None
    if settings.JWT_PUBLIC_KEY_FILES or jwks is not None:
        return TokenVerifier([path.read_bytes() for path in settings.JWT_PUBLIC_KEY_FILES], jwks=jwks,
                             **limits)
    if not settings.is_development:
        raise ValueError("XUEJI_JWT_PUBLIC_KEY_FILES or XUEJI_JWT_JWKS_URL must name the identity "
                         "provider's public keys")
    return TokenVerifier([local_key_pair(settings.JWT_LOCAL_KEY_DIR)[1]], **limits)


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller, or 401 (the app stores its TokenVerifier in state)."""
    if credentials is None:
        raise AuthenticationError("a bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    if verifier.fetches_keys:
        return await asyncio.to_thread(verifier.verify, credentials.credentials)
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
