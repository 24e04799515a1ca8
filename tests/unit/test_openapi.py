"""The committed OpenAPI documents are the apps' own (other teams build clients from them)."""

import json

from services.cli import openapi


def test_committed_openapi_documents_match_the_apps() -> None:
    assert openapi.drifted() == [], "run: xueji openapi"


def test_every_workflow_error_response_is_a_documented_problem() -> None:
    document = json.loads((openapi.OPENAPI_DIR / "workflow.json").read_text(encoding="utf-8"))
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for operation in operations.values():
            for status in ("401", "403", "404", "409", "422", "503"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (path, status)
