"""Reading messages off the shared test topics, where other tests also leave poison messages."""

import json
from typing import Any


def decoded_or_none(value: bytes | None) -> dict[str, Any] | None:
    """A message's JSON object, or None for a poison message (not JSON, or not an object)."""
    try:
        decoded = json.loads(value or b"")
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None
