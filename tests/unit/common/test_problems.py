"""Errors every service answers the same way."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from services.common.problems import install_problem_handlers


def app_failing_with(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/thing")
    async def thing() -> None:
        raise error

    return app


def test_a_database_that_does_not_answer_is_a_503_with_a_retry_hint() -> None:
    for error in (ServerSelectionTimeoutError("no primary"), AutoReconnect("connection reset")):
        response = TestClient(app_failing_with(error)).get("/thing")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["Retry-After"] == "5"
        assert response.json()["code"] == "database_unavailable"


def test_anything_else_unexpected_is_a_500_that_says_nothing_of_the_cause() -> None:
    client = TestClient(app_failing_with(RuntimeError("L110105 secret")), raise_server_exceptions=False)
    response = client.get("/thing")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error" and "secret" not in response.text
