"""The console's session: a signed cookie (HttpOnly, SameSite=Strict, Secure outside local and
test) holding the CSRF secret of its forms and, after the local sign-in only, the development
token. Behind the OIDC proxy the token comes with every request instead and is never stored.

Every form carries the CSRF value; a POST without it, or with another, is refused (403).
"""

import hmac
import secrets
from dataclasses import dataclass, replace

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "xueji_console"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Session:
    csrf: str
    token: str | None = None

    def with_token(self, token: str | None) -> "Session":
        return replace(self, token=token)

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, key: str, max_age_seconds: int, secure: bool) -> None:
        self.signer = URLSafeTimedSerializer(key, salt="xueji-console-session")
        self.max_age, self.secure = max_age_seconds, secure

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self.signer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        token = data.get("t")
        return Session(csrf=data["c"], token=token if isinstance(token, str) else None)

    @staticmethod
    def new() -> Session:
        return Session(csrf=secrets.token_urlsafe(24))

    def write(self, response: Response, session: Session) -> None:
        value = self.signer.dumps({"c": session.csrf, "t": session.token})
        response.set_cookie(COOKIE, value, max_age=self.max_age, httponly=True, samesite="strict",
                            secure=self.secure, path="/")

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=self.secure)
