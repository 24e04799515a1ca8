"""The console's calls to the platform's APIs, each with the signed-in user's own token.

A refusal comes back as ``Refused`` with the API's problem (``code``, ``detail``), so a page
shows why, in the user's words (``wording.problem_text``); the console decides nothing itself.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

JSON = Any


@dataclass(frozen=True)
class Refused(Exception):
    status: int
    code: str
    detail: str
    retry_after: float | None = None
    rule: str | None = None


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    content_type: str


def refused(response: httpx.Response) -> Refused:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    retry = response.headers.get("retry-after")
    return Refused(response.status_code, str(body.get("code") or f"http_{response.status_code}"),
                   str(body.get("detail") or body.get("title") or response.reason_phrase),
                   float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
                   str(body["rule"]) if body.get("rule") else None)


class Api:
    """One HTTP client per service, shared by every request (connections are pooled)."""

    def __init__(self, workflow: str, evidence: str, notify: str, timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        def client(base: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=base, timeout=timeout, transport=transport)

        self.workflow, self.evidence, self.notify = client(workflow), client(evidence), client(notify)

    async def close(self) -> None:
        await asyncio.gather(self.workflow.aclose(), self.evidence.aclose(), self.notify.aclose())

    @staticmethod
    def _auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, token: str,
                    **kwargs: Any) -> JSON:
        response = await client.request(method, path, headers=self._auth(token), **kwargs)
        if response.status_code >= 400:
            raise refused(response)
        return response.json() if response.content else None

    async def get(self, path: str, token: str, params: dict[str, Any] | None = None) -> JSON:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        return await self._call(self.workflow, "GET", path, token, params=clean)

    async def post(self, path: str, token: str, body: JSON = None) -> JSON:
        return await self._call(self.workflow, "POST", path, token, json=body)

    async def inbox(self, token: str, unread: bool = False, page: int = 1, page_size: int = 20) -> JSON:
        return await self._call(self.notify, "GET", "/v1/inbox", token,
                                params={"unread": unread, "page": page, "page_size": page_size})

    async def mark_read(self, token: str, entry_id: str) -> None:
        await self._call(self.notify, "POST", f"/v1/inbox/{entry_id}/read", token)

    async def upload(self, token: str, group_id: str, registry_number: str, upload: Upload) -> JSON:
        """One file at a time, so each file gets its own answer."""
        files = [("files", (upload.file_name, upload.content, upload.content_type))]
        return await self._call(self.evidence, "POST", "/v1/evidence", token, files=files,
                                params={"group_id": group_id, "registry_number": registry_number})

    async def evidence_link(self, token: str, evidence_id: str) -> str:
        answer = await self._call(self.evidence, "POST", f"/v1/evidence/{evidence_id}/link", token)
        return str(answer["url"])

    async def fetch(self, url: str) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A streamed GET of a presigned object link (an evidence file)."""
        request = self.evidence.build_request("GET", url)
        response = await self.evidence.send(request, stream=True)
        if response.status_code >= 400:
            await response.aclose()
            raise Refused(response.status_code, "not_found", "the file is not available")
        return response, self._body(response)

    @staticmethod
    async def _body(response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        finally:
            await response.aclose()

    async def stream(self, path: str, token: str, params: dict[str, Any]) -> tuple[httpx.Response,
                                                                                      AsyncIterator[bytes]]:
        """A streamed GET of the workflow (exports): the response's headers and its body as it comes."""
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        request = self.workflow.build_request("GET", path, headers=self._auth(token), params=clean)
        response = await self.workflow.send(request, stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise refused(response)
        return response, self._body(response)
