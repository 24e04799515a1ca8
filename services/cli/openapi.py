"""The HTTP APIs' OpenAPI documents, generated from the apps and committed under docs/openapi (the
management port serves the same document of its service at /openapi.json)."""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

REPO = Path(__file__).resolve().parents[2]
OPENAPI_DIR = REPO / "docs" / "openapi"


def _apps() -> dict[str, Callable[[Path], FastAPI]]:
    """Service → how to build its app with development keys in a folder (dedup has no HTTP API)."""
    from services.evidence.main import create_app as evidence_app
    from services.evidence.settings import EvidenceSettings
    from services.notify.main import create_app as notify_app
    from services.notify.settings import NotifySettings
    from services.workflow.main import create_app as workflow_app
    from services.workflow.settings import WorkflowSettings

    return {
        "workflow": lambda keys: workflow_app(WorkflowSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=keys)),
        "evidence": lambda keys: evidence_app(EvidenceSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=keys)),
        "notify": lambda keys: notify_app(NotifySettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=keys)),
    }


def documents() -> dict[Path, str]:
    """File → text of every service's OpenAPI document (building an app connects to nothing)."""
    found: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as keys:
        for service, build in _apps().items():
            document = build(Path(keys)).openapi()
            found[OPENAPI_DIR / f"{service}.json"] = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return found


def drifted(texts: dict[Path, str] | None = None) -> list[Path]:
    """The committed documents that are missing or differ from the apps'."""
    return [path for path, text in (texts or documents()).items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def write() -> list[Path]:
    """Rewrite the documents that drifted; the ones written."""
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    texts = documents()
    written = drifted(texts)
    for path in written:
        path.write_text(texts[path], encoding="utf-8")
    return written
