"""Delivering a case event to a province system's webhook, signed, with retries."""

import asyncio
import logging
import random

import httpx
from xueji_contracts.webhooks import sign

from ..domain.delivery import Outcome

log = logging.getLogger(__name__)
__all__ = ["Outcome", "WebhookSender"]


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, attempts: int, backoff_seconds: float) -> None:
        self.client, self.attempts, self.backoff = client, attempts, backoff_seconds

    async def deliver(self, url: str, secret: bytes, event_id: str, body: bytes) -> Outcome:
        """Retry timeouts, connection errors and 5xx with exponential backoff and jitter; a 4xx is final."""
        reason = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.client.post(url, content=body, headers=sign(secret, event_id, body))
            except httpx.TransportError as error:
                reason = f"{type(error).__name__}"
            else:
                if response.status_code < 300:
                    return Outcome(True, attempt)
                reason = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    return Outcome(False, attempt, reason)
            if attempt < self.attempts:
                delay = self.backoff * 2 ** (attempt - 1)
                await asyncio.sleep(delay + random.uniform(0, delay / 2))  # noqa: S311 - jitter, not security
        log.warning("webhook delivery failed", extra={"event_id": event_id, "reason": reason})
        return Outcome(False, self.attempts, reason)
