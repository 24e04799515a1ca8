"""The committed OpenAPI documents are the apps' own (other teams build clients from them)."""

import json

import pytest

from services.cli import openapi

DOCUMENTED = ("workflow", "evidence", "notify")  # every service with an HTTP API (dedup has none)


def test_committed_openapi_documents_match_the_apps() -> None:
    assert sorted(path.name for path in openapi.documents()) == sorted(f"{s}.json" for s in DOCUMENTED)
    assert openapi.drifted() == [], "run: xueji openapi"


@pytest.mark.parametrize("service", DOCUMENTED)
def test_every_error_response_is_a_documented_problem(service: str) -> None:
    document = json.loads((openapi.OPENAPI_DIR / f"{service}.json").read_text(encoding="utf-8"))
    assert document["paths"]
    for path, operations in document["paths"].items():
        assert path.startswith("/v1/"), "health, metrics and documentation are on the management port"
        for operation in operations.values():
            for status in ("401", "403", "404", "409", "422", "503"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (path, status)
