"""Reading messages off the shared test topics, where other tests also leave poison messages."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "contracts" / "examples"


def decoded_or_none(value: bytes | None) -> dict[str, Any] | None:
    """A message's JSON object, or None for a poison message (not JSON, or not an object)."""
    try:
        decoded = json.loads(value or b"")
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
        return None
    return decoded if isinstance(decoded, dict) else None


def province_subscriber() -> ModuleType:
    """The sample province subscriber that contracts/examples ships, loaded as its users would run it."""
    spec = importlib.util.spec_from_file_location("province_subscriber", EXAMPLES / "province_subscriber.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
