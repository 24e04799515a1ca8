"""Errors as RFC 9457 problem details (``application/problem+json``) with a stable ``code``."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException

from .auth import AuthenticationError
from .errors import ServiceError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An error: ``code`` is stable for programs, ``detail`` is for people."""

    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str = ""
    rule: str | None = None
    errors: list[dict[str, Any]] | None = None


def problem(status: int, code: str, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = Problem(type=f"https://xueji.example/problems/{code}", title=title, status=status, code=code,
                   detail=detail, **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": title, "content": {MEDIA_TYPE: {}}}
    for status, title in ((401, "Not authenticated"), (403, "Outside your jurisdiction"), (404, "Not found"),
                          (409, "Refused by the state or the rule set"), (422, "Invalid input"),
                          (503, "A dependency is unavailable; retry after the Retry-After seconds"))
}
RETRY_AFTER_SECONDS = "5"


def install_problem_handlers(app: FastAPI) -> None:
    """The one table from exceptions to problem responses, shared by every HTTP service."""

    @app.exception_handler(ServiceError)
    async def refused(_: Request, error: ServiceError) -> JSONResponse:
        response = problem(error.status, error.code, error.title, error.detail, rule=error.rule)
        if error.retry_after is not None:
            response.headers["Retry-After"] = error.retry_after
        return response

    @app.exception_handler(AuthenticationError)
    async def unauthenticated(_: Request, error: AuthenticationError) -> JSONResponse:
        return problem(401, "unauthenticated", "Not authenticated", str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()]
        return problem(422, "invalid_input", "Invalid input", "the request does not match the schema",
                       errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, f"http_{error.status_code}", str(error.detail), str(error.detail))

    @app.exception_handler(ConnectionFailure)
    async def database_unavailable(_: Request, error: ConnectionFailure) -> JSONResponse:
        log.warning("database unavailable", extra={"error_type": type(error).__name__})
        response = problem(503, "database_unavailable", "Database unavailable",
                           "the database did not answer; try again shortly")
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_type": type(error).__name__})
        return problem(500, "internal_error", "Internal error", "the error was logged")
