"""Sending one case event to a province system's webhook, signed: one attempt, its answer.

Retries are the delivery jobs' (``adapters/jobs.py``, ``sending.py``): a slow or failing
endpoint costs at most one timeout per attempt, and only its own sender waits.
"""

import httpx
from xueji_contracts.webhooks import sign

from ..domain.delivery import Attempt

__all__ = ["Attempt", "WebhookSender"]


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is not used by province systems)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, url: str, secret: bytes, event_id: str, body: bytes) -> Attempt:
        """2xx delivered; timeouts, connection errors, 5xx and 429 may pass later; another 4xx is final."""
        try:
            response = await self.client.post(url, content=body, headers=sign(secret, event_id, body))
        except httpx.TransportError as error:
            return Attempt(delivered=False, final=False, reason=type(error).__name__)
        status = response.status_code
        if status < 300:
            return Attempt(delivered=True)
        retryable = status >= 500 or status == 429
        return Attempt(delivered=False, final=not retryable, reason=f"HTTP {status}",
                       retry_after=retry_after_seconds(response.headers.get("retry-after")))
