"""The workflow app on the real local stack, called in-process over HTTP."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token
from services.workflow import main
from services.workflow.cases import Cases
from services.workflow.settings import WorkflowSettings

from ...consumer_groups import groups_of, start_at_end

Client = Callable[[Role, str], httpx.AsyncClient]


@pytest.fixture
def workflow_settings(unique: str, tmp_path: Path) -> WorkflowSettings:
    return WorkflowSettings(
        MONGO_DATABASE=f"wf_{unique}", CONSUMER_GROUP=f"wf-{unique}", JWT_LOCAL_KEY_DIR=tmp_path / "jwt"
    )


@pytest.fixture
async def app(workflow_settings: WorkflowSettings) -> AsyncIterator[FastAPI]:
    await start_at_end(groups_of("workflow", workflow_settings.CONSUMER_GROUP))
    application = main.create_app(workflow_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def cases(app: FastAPI) -> Cases:
    cases: Cases = app.state.cases
    return cases


@pytest.fixture
async def as_party(app: FastAPI, workflow_settings: WorkflowSettings) -> AsyncIterator[Client]:
    """``as_party(role, organisation)``: an HTTP client with that caller's bearer token."""
    private, _ = local_key_pair(workflow_settings.JWT_LOCAL_KEY_DIR)
    clients: list[httpx.AsyncClient] = []

    def make(role: Role, organisation: str) -> httpx.AsyncClient:
        token = mint_token(private, role, organisation)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://workflow",
            headers={"Authorization": f"Bearer {token}"},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def problem_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    return body
