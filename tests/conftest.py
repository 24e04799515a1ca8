"""Shared fixtures. Integration tests use the real local servers that ``./dev test`` starts."""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.common.settings import ServiceSettings

STACK_VARIABLES = ("XUEJI_KAFKA_BOOTSTRAP", "XUEJI_MONGO_URI", "XUEJI_S3_ENDPOINT")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if all(os.environ.get(v) for v in STACK_VARIABLES):
        return
    skip = pytest.mark.skip(reason="local stack not configured: run the tests with ./dev test")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings() -> ServiceSettings:
    return ServiceSettings()


@pytest.fixture
async def mongo(settings: ServiceSettings) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.MONGO_URI.get_secret_value(), tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
def unique() -> str:
    """A short unique suffix so tests sharing the stack never see each other's data."""
    return uuid.uuid4().hex[:10]
