"""The MongoDB client (PyMongo's async API)."""

from typing import Any

from pymongo import AsyncMongoClient

from .settings import ServiceSettings


def make_mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(settings.MONGO_URI.get_secret_value(), appname=app_name, tz_aware=True,
                            serverSelectionTimeoutMS=10_000)
