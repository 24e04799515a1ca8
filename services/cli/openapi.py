"""The services' OpenAPI documents, generated from the apps and committed under docs/openapi."""

import json
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPENAPI_DIR = REPO / "docs" / "openapi"


def documents() -> dict[Path, str]:
    """File → text of every service's OpenAPI document (building an app connects to nothing)."""
    from services.workflow.main import create_app as workflow_app
    from services.workflow.settings import WorkflowSettings

    with tempfile.TemporaryDirectory() as keys:
        workflow = workflow_app(WorkflowSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=Path(keys)))
    text = json.dumps(workflow.openapi(), indent=2, ensure_ascii=False) + "\n"
    return {OPENAPI_DIR / "workflow.json": text}


def drifted() -> list[Path]:
    return [path for path, text in documents().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def write() -> list[Path]:
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    written = drifted()
    for path, text in documents().items():
        if path in written:
            path.write_text(text, encoding="utf-8")
    return written
