"""The console's pages: the document's screens for each role, over the platform's APIs.

Routes are thin: who is signed in, one or two API calls with the user's token, a template.
Every POST carries the session's CSRF value; a refusal of the API is shown on the page it
came from, with what the user typed kept.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile
from xueji_contracts.enums import Role

from services.common.auth import AuthenticationError, Principal, TokenVerifier, local_key_pair, mint_token

from . import pages, wording
from .client import Api, Refused, Upload
from .session import CSRF_FIELD, Session, Sessions
from .settings import ConsoleSettings

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
HOME = {
    "school_registrar": "/cases",
    "school_leader": "/leader",
    "bureau_registrar": "/reviews",
    "arbiter": "/arbitrations",
    "province_subscriber": "/inbox",
    "operator": "/statistics",
}
CONTENT_TYPES = {"doc": "application/msword", "rar": "application/vnd.rar", "jpg": "image/jpeg"}
WRONG_SHAPE = "机构代码与角色不符：学校为 10 位学校代码，其他角色为 6 位行政区划代码。"
NOTHING: dict[str, Any] = {"items": [], "has_more": False}  # a listing the API refused
MAX_FILES = 10  # per form, as the evidence service takes per upload
EVIDENCE_WAIT_SECONDS = 20.0  # how long a submission waits for its files to be registered


class SignInNeeded(Exception):
    """No valid token: the sign-in page locally, a plain refusal behind the proxy."""


class CsrfRefused(Exception):
    """A form without this session's CSRF value."""


@dataclass
class Ctx:
    request: Request
    session: Session
    new_session: bool
    token: str | None = None
    principal: Principal | None = None

    @property
    def role(self) -> str:
        return self.principal.role.value if self.principal else ""

    @property
    def org(self) -> str:
        return self.principal.organisation_code if self.principal else ""

    def need(self) -> str:
        if self.token is None:
            raise SignInNeeded
        return self.token


def ext_of(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    return "jpg" if suffix == "jpeg" else suffix


class Console:
    """The parts every page shares: settings, API client, sessions, token verifier, templates."""

    def __init__(self, settings: ConsoleSettings, api: Api, verifier: TokenVerifier) -> None:
        self.settings, self.api, self.verifier = settings, api, verifier
        self.sessions = Sessions(settings.CONSOLE_SESSION_KEY.get_secret_value(),
                                 settings.CONSOLE_SESSION_HOURS * 3600, settings.secure_cookies)
        self.templates = Jinja2Templates(directory=TEMPLATES)
        env = self.templates.env
        env.filters.update(day=wording.day, moment=wording.moment)
        env.globals.update(w=wording, max_file_bytes=settings.CONSOLE_MAX_FILE_BYTES,
                           file_types=settings.CONSOLE_FILE_TYPES, csrf_field=CSRF_FIELD,
                           sign_in=settings.is_development, home=HOME)

    # who is asking
    def _proxied_token(self, request: Request) -> str | None:
        header = request.headers.get(self.settings.CONSOLE_TOKEN_HEADER)
        if header:
            return header.strip()
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def context(self, request: Request) -> Ctx:
        session = self.sessions.read(request)
        ctx = Ctx(request, session or self.sessions.new(), session is None)
        token = self._proxied_token(request) or ctx.session.token
        if token:
            try:
                ctx.principal, ctx.token = self.verifier.verify(token), token
            except AuthenticationError:
                ctx.principal = ctx.token = None
        return ctx

    async def posted(self, request: Request, signed_in: bool = True) -> tuple[Ctx, FormData]:
        ctx = self.context(request)
        form = await request.form(max_files=MAX_FILES, max_fields=50)
        sent = form.get(CSRF_FIELD)
        if ctx.new_session or not ctx.session.csrf_matches(sent if isinstance(sent, str) else None):
            raise CsrfRefused
        if signed_in:
            ctx.need()
        return ctx, form

    # answering
    def render(self, ctx: Ctx, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        flash = ctx.request.cookies.get("xueji_flash")
        response = self.templates.TemplateResponse(
            ctx.request, template, {"ctx": ctx, "csrf": ctx.session.csrf, "flash": flash_text(flash),
                                    **values}, status_code=status)
        if ctx.new_session:
            self.sessions.write(response, ctx.session)
        if flash:
            response.delete_cookie("xueji_flash", path="/")
        return response

    def redirect(self, to: str, flash: str | None = None) -> RedirectResponse:
        response = RedirectResponse(to, status_code=303)
        if flash:
            response.set_cookie("xueji_flash", flash, max_age=60, httponly=True, samesite="strict",
                                secure=self.settings.secure_cookies, path="/")
        return response

    async def unread(self, ctx: Ctx) -> str:
        """The unread count of the inbox, for the menu ("20+" when there are more)."""
        if ctx.token is None:
            return ""
        try:
            page = await self.api.inbox(ctx.token, unread=True, page_size=20)
        except (Refused, httpx.HTTPError):
            return ""
        count = len(page["items"])
        return f"{count}+" if page["has_more"] else (str(count) if count else "")


FLASHES = {
    "attested": "佐证已提交，等待教育局审核。",
    "amended": "变更已提交，等待教育局审核。",
    "deletion_requested": "删除申请已提交，等待学校主管领导确认。",
    "deletion_submitted": "删除已提交，等待教育局审核。",
    "withdrawn": "申请已撤回。",
    "deletion_confirmed": "已确认删除，等待教育局审核。",
    "declined": "已不同意删除，学校可重新处理。",
    "approved": "审核通过。",
    "rejected": "审核不通过，已退回学校。",
    "arbitrated": "仲裁结果已提交。",
    "reinitiated": "重新发起成功。新的问题组已出现在列表中。",
    "signed_out": "已退出。",
}


def flash_text(code: str | None) -> str | None:
    return FLASHES.get(code or "")


def member_path(group_id: str, registry_number: str) -> str:
    return f"/v1/cases/{group_id}/members/{quote(registry_number, safe='')}"


def router(console: Console) -> APIRouter:
    web = APIRouter()
    api = console.api

    async def page(ctx: Ctx, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return console.render(ctx, template, status, unread=await console.unread(ctx), **values)

    # sign-in (local and test only) ------------------------------------------------------------
    @web.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        ctx = console.context(request)
        if ctx.principal is None:
            return console.redirect("/signin") if console.settings.is_development else signed_out(ctx)
        return console.redirect(HOME.get(ctx.role, "/cases"))

    def signed_out(ctx: Ctx) -> HTMLResponse:
        return console.render(ctx, "signed_out.html", status=401)

    @web.get("/signin", include_in_schema=False)
    async def signin_page(request: Request) -> Response:
        ctx = console.context(request)
        if not console.settings.is_development:
            return signed_out(ctx)
        return console.render(ctx, "signin.html", roles=wording.ROLES, examples=await demo_codes())

    async def demo_codes() -> dict[str, list[str]]:
        """Organisations of the demo data to sign in as: read through an operator's eyes."""
        token = local_token(Role.OPERATOR, "000000", timedelta(minutes=1))
        codes: dict[str, set[str]] = {"school": set(), "district": set(), "arbiter": set()}
        try:
            found = await api.get("/v1/cases", token, {"page_size": 100, "status": "open"})
        except (Refused, httpx.HTTPError):
            return {k: [] for k in codes}
        for case in found["items"]:
            for member in case["members"]:
                codes["school"].add(member["school_code"])
                if member.get("brief"):
                    codes["district"].add(member["brief"]["district_code"])
            for side in case.get("sides", []):
                if side.get("arbiter_code"):
                    codes["arbiter"].add(side["arbiter_code"])
        return {k: sorted(v)[:30] for k, v in codes.items()}

    def local_token(role: Role, org: str, ttl: timedelta) -> str:
        private, _ = local_key_pair(console.settings.JWT_LOCAL_KEY_DIR)
        return mint_token(private, role, org, ttl=ttl, issuer=console.settings.JWT_ISSUER,
                          audience=console.settings.JWT_AUDIENCE)

    @web.post("/signin", include_in_schema=False)
    async def signin(request: Request) -> Response:
        ctx, form = await console.posted(request, signed_in=False)
        if not console.settings.is_development:
            return signed_out(ctx)
        role, org = str(form.get("role", "")), str(form.get("org", "")).strip()
        try:
            token = local_token(Role(role), org, timedelta(hours=console.settings.CONSOLE_SESSION_HOURS))
            console.verifier.verify(token)
        except (ValueError, AuthenticationError):
            return console.render(ctx, "signin.html", status=422, roles=wording.ROLES,
                                  examples=await demo_codes(), role=role, org=org,
                                  error=WRONG_SHAPE)
        response = console.redirect(HOME[role])
        console.sessions.write(response, ctx.session.with_token(token))
        return response

    @web.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        await console.posted(request, signed_in=False)
        response = console.redirect("/signin" if console.settings.is_development else "/", "signed_out")
        console.sessions.clear(response)
        return response

    # 问题学籍处理: query and list ------------------------------------------------------------------
    @web.get("/cases", include_in_schema=False)
    async def cases(
        request: Request, registry_number: str = "", name: str = "", problem_type: str = "",
        status: str = "", opened_from: str = "", opened_to: str = "",
        page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    ) -> Response:
        ctx = console.context(request)
        token = ctx.need()
        query = {"registry_number": registry_number.strip(), "name": name.strip(),
                 "problem_type": problem_type,
                 "status": status, "opened_from": opened_from, "opened_to": opened_to}
        error, found = None, NOTHING
        try:
            found = await api.get("/v1/cases", token, {**query, "page": page_no, "page_size": 20})
        except Refused as refusal:
            error = wording.problem_text(refusal)
        clean = {k: v for k, v in query.items() if v}
        return await page(ctx, "cases.html", query=query, error=error, page_no=page_no,
                          has_more=found["has_more"], rows=pages.rows(found["items"], ctx.role, ctx.org),
                          qs=urlencode(clean), export_qs=urlencode(clean))

    @web.get("/leader", include_in_schema=False)
    async def leader(request: Request, page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
        """School leader: deletion requests waiting for confirmation."""
        ctx = console.context(request)
        found = await api.get("/v1/cases", ctx.need(), {"status": "open", "page": page_no, "page_size": 50})
        rows = pages.rows(found["items"], ctx.role, ctx.org, stage="awaiting_leader")
        return await page(ctx, "leader.html", rows=rows, page_no=page_no, has_more=found["has_more"])

    @web.get("/reviews", include_in_schema=False)
    async def reviews(request: Request, page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
        ctx = console.context(request)
        error, found = None, NOTHING
        try:
            found = await api.get("/v1/reviews", ctx.need(), {"page": page_no, "page_size": 20})
        except Refused as refusal:
            error = wording.problem_text(refusal)
        rows = pages.rows(found["items"], ctx.role, ctx.org, stage="awaiting_review")
        return await page(ctx, "reviews.html", rows=rows, error=error, page_no=page_no,
                          has_more=found["has_more"])

    @web.get("/arbitrations", include_in_schema=False)
    async def arbitrations(request: Request, status: str = "pending",
                           page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
        ctx = console.context(request)
        status = "decided" if status == "decided" else "pending"
        error, found = None, NOTHING
        try:
            found = await api.get("/v1/arbitrations", ctx.need(),
                                  {"status": status, "page": page_no, "page_size": 20})
        except Refused as refusal:
            error = wording.problem_text(refusal)
        return await page(ctx, "arbitrations.html", cases=found["items"], listing=status, error=error,
                          page_no=page_no, has_more=found["has_more"])

    # 查看: one group --------------------------------------------------------------------------------
    async def show_case(ctx: Ctx, group_id: str, status: int = 200, **values: Any) -> HTMLResponse:
        token = ctx.need()
        try:
            case, history = await asyncio.gather(api.get(f"/v1/cases/{group_id}", token),
                                                 api.get(f"/v1/cases/{group_id}/history", token))
        except Refused as refusal:
            return await page(ctx, "error.html", status=refusal.status, error=wording.problem_text(refusal))
        return await page(ctx, "case.html", status=status, case=case, history=history,
                          arbitrating=pages.arbitrating(case, ctx.org),
                          candidates=pages.candidates(case, ctx.org), **values)

    @web.get("/cases/{group_id}", include_in_schema=False)
    async def case(request: Request, group_id: str) -> Response:
        return await show_case(console.context(request), group_id)

    async def member_of(ctx: Ctx, group_id: str, rn: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        case = await api.get(f"/v1/cases/{group_id}", ctx.need())
        member = next((m for m in case["members"] if m.get("registry_number") == rn), None)
        return (case, member) if member else None

    @web.get("/cases/{group_id}/members/{rn}/{form_name}", include_in_schema=False)
    async def member_form(request: Request, group_id: str, rn: str, form_name: str) -> Response:
        """The 佐证, 变更 and 审核 forms of one member."""
        ctx = console.context(request)
        if form_name not in ("attest", "amend", "review", "decline"):
            return await page(ctx, "error.html", status=404, error="没有这个页面")
        try:
            found = await member_of(ctx, group_id, rn)
        except Refused as refusal:
            return await page(ctx, "error.html", status=refusal.status, error=wording.problem_text(refusal))
        if found is None:
            return await page(ctx, "error.html", status=404, error="问题组中没有这条学籍")
        case, member = found
        return await page(ctx, f"form_{form_name}.html", case=case, m=member, values={})

    # acting ------------------------------------------------------------------------------------------
    async def act(ctx: Ctx, group_id: str, call: Callable[[], Awaitable[Any]], done: str, back: str = "",
                  on_refusal: Callable[[str], Awaitable[Response]] | None = None) -> Response:
        """One call of the API: on success back to ``back`` (the group) with a message; a refusal is
        shown on the form it came from (``on_refusal``, what was typed kept) or on the group's page."""
        try:
            await call()
        except Refused as refusal:
            text = wording.problem_text(refusal)
            if on_refusal is not None:
                return await on_refusal(text)
            return await show_case(ctx, group_id, status=refusal.status, error=text)
        return console.redirect(back or f"/cases/{group_id}", done)

    async def uploaded(ctx: Ctx, form: FormData, group_id: str, rn: str) -> tuple[list[str], list[str]]:
        """Each file of the form sent to the evidence service on its own: the stored ids, and per
        refused file why (the page says which, and nothing is submitted)."""
        ids, problems = [], []
        for item in form.getlist("files"):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            content = await item.read()
            name = Path(item.filename).name
            kind = ext_of(name)
            if kind not in console.settings.CONSOLE_FILE_TYPES:
                problems.append(f"{name}：{wording.FILE_RULES['file.type_allowed']}")
                continue
            if len(content) > console.settings.CONSOLE_MAX_FILE_BYTES:
                problems.append(f"{name}：{wording.FILE_RULES['file.max_size']}")
                continue
            try:
                upload = Upload(name, content, CONTENT_TYPES[kind])
                stored = await api.upload(ctx.need(), group_id, rn, upload)
            except Refused as refusal:
                problems.append(f"{name}：{wording.problem_text(refusal)}")
                continue
            ids += [str(s["evidence_id"]) for s in stored]
        return ids, problems

    async def submit_with_evidence(ctx: Ctx, path: str, body: dict[str, Any]) -> Any:
        """Submit once the workflow knows the files just stored (it hears of them by event)."""
        waited = 0.0
        while True:
            try:
                return await api.post(path, ctx.need(), body)
            except Refused as refusal:
                if refusal.code != "evidence_not_known_yet" or waited >= EVIDENCE_WAIT_SECONDS:
                    raise
                pause = min(refusal.retry_after or 1.0, 2.0)
                await asyncio.sleep(pause)
                waited += pause

    @web.post("/cases/{group_id}/members/{rn}/attest", include_in_schema=False)
    async def attest(request: Request, group_id: str, rn: str) -> Response:
        ctx, form = await console.posted(request)
        values = {"opinion": str(form.get("opinion", ""))}

        async def again(error: str, problems: list[str] | None = None) -> Response:
            found = await member_of(ctx, group_id, rn)
            case, member = found if found else ({}, {})
            return await page(ctx, "form_attest.html", status=422, case=case, m=member, values=values,
                              error=error, file_problems=problems or [])

        ids, problems = await uploaded(ctx, form, group_id, rn)
        if problems:
            return await again("有文件未上传成功，请更换后重新提交。", problems)
        body = {"action": "attest", "opinion": values["opinion"] or None, "evidence_ids": ids}
        return await act(ctx, group_id, lambda: submit_with_evidence(
            ctx, member_path(group_id, rn) + "/actions", body), "attested", on_refusal=again)

    @web.post("/cases/{group_id}/members/{rn}/amend", include_in_schema=False)
    async def amend(request: Request, group_id: str, rn: str) -> Response:
        ctx, form = await console.posted(request)
        fields = ("name", "id_number", "id_type", "gender", "birth_date")
        values = {f: str(form.get(f, "")).strip() for f in fields}
        amendment: dict[str, Any] = {f: v for f, v in values.items() if v}
        if "gender" in amendment:
            gender = amendment["gender"]
            amendment["gender"] = int(gender) if gender.isdigit() else gender

        async def again(error: str, problems: list[str] | None = None) -> Response:
            found = await member_of(ctx, group_id, rn)
            case, member = found if found else ({}, {})
            return await page(ctx, "form_amend.html", status=422, case=case, m=member, values=values,
                              error=error, file_problems=problems or [])

        if not amendment:
            return await again("请至少填写一项新的值。")
        ids, problems = await uploaded(ctx, form, group_id, rn)
        if problems:
            return await again("有文件未上传成功，请更换后重新提交。", problems)
        body = {"action": "amend", "amendment": amendment, "evidence_ids": ids}
        return await act(ctx, group_id, lambda: submit_with_evidence(
            ctx, member_path(group_id, rn) + "/actions", body), "amended", on_refusal=again)

    @web.post("/cases/{group_id}/members/{rn}/delete", include_in_schema=False)
    async def delete(request: Request, group_id: str, rn: str) -> Response:
        """删除 after 提示确认删除 and 再次确认 (both in the page; ``confirm`` says the second was given)."""
        ctx, form = await console.posted(request)
        body = {"action": "delete", "confirm": form.get("confirm") == "yes"}
        return await act(ctx, group_id, lambda: api.post(member_path(group_id, rn) + "/actions", ctx.need(),
                                                         body), "deletion_requested")

    @web.post("/cases/{group_id}/members/{rn}/withdraw", include_in_schema=False)
    async def withdraw(request: Request, group_id: str, rn: str) -> Response:
        ctx, _ = await console.posted(request)
        path = member_path(group_id, rn) + "/withdrawal"
        return await act(ctx, group_id, lambda: api.post(path, ctx.need()), "withdrawn")

    @web.post("/cases/{group_id}/members/{rn}/confirm-deletion", include_in_schema=False)
    async def confirm_deletion(request: Request, group_id: str, rn: str) -> Response:
        ctx, _ = await console.posted(request)
        return await act(ctx, group_id, lambda: api.post(member_path(group_id, rn) + "/deletion-confirmation",
                                                         ctx.need()), "deletion_confirmed")

    @web.post("/cases/{group_id}/members/{rn}/decline", include_in_schema=False)
    async def decline(request: Request, group_id: str, rn: str) -> Response:
        ctx, form = await console.posted(request)
        values = {"reason": str(form.get("reason", ""))}

        async def again(error: str) -> Response:
            found = await member_of(ctx, group_id, rn)
            case, member = found if found else ({}, {})
            return await page(ctx, "form_decline.html", status=422, case=case, m=member, values=values,
                              error=error)

        if not values["reason"].strip():
            return await again("请填写不同意删除的原因。")
        return await act(ctx, group_id, lambda: api.post(member_path(group_id, rn) + "/deletion-decline",
                                                         ctx.need(), {"reason": values["reason"]}),
                         "declined", on_refusal=again)

    @web.post("/cases/{group_id}/members/{rn}/review", include_in_schema=False)
    async def review(request: Request, group_id: str, rn: str) -> Response:
        ctx, form = await console.posted(request)
        decision = "approved" if form.get("decision") == "approved" else "rejected"
        values = {"reason": str(form.get("reason", "")), "decision": decision}

        async def again(error: str) -> Response:
            found = await member_of(ctx, group_id, rn)
            case, member = found if found else ({}, {})
            return await page(ctx, "form_review.html", status=422, case=case, m=member, values=values,
                              error=error)

        if decision == "rejected" and not values["reason"].strip():
            return await again("审核不通过时必须填写原因。")
        body = {"decision": decision, "reason": values["reason"].strip() or None}
        path = member_path(group_id, rn) + "/review"
        return await act(ctx, group_id, lambda: api.post(path, ctx.need(), body),
                         "approved" if decision == "approved" else "rejected", back="/reviews",
                         on_refusal=again)

    @web.post("/cases/{group_id}/arbitration", include_in_schema=False)
    async def arbitrate(request: Request, group_id: str) -> Response:
        ctx, form = await console.posted(request)
        chosen, reason = str(form.get("approved", "")), str(form.get("reason", "")).strip()
        if not chosen or not reason:
            return await show_case(ctx, group_id, status=422, error="请选择一条学籍并填写仲裁理由。",
                                   values={"reason": reason})
        body = {"approved_registry_number": chosen, "reason": reason}
        path = f"/v1/cases/{group_id}/arbitration"
        return await act(ctx, group_id, lambda: api.post(path, ctx.need(), body),
                         "arbitrated", back="/arbitrations",
                         on_refusal=lambda e: show_case(ctx, group_id, status=409, error=e,
                                                        values={"reason": reason}))

    @web.post("/cases/{group_id}/members/{rn}/reinitiate", include_in_schema=False)
    async def reinitiate(request: Request, group_id: str, rn: str) -> Response:
        """发起重新处理 after 提示 and 再次确认是否发起; the new group is opened for the same record."""
        ctx, form = await console.posted(request)
        body = {"confirm": form.get("confirm") == "yes"}
        try:
            new = await api.post(member_path(group_id, rn) + "/reinitiation", ctx.need(), body)
        except Refused as refusal:
            return await show_case(ctx, group_id, status=refusal.status, error=wording.problem_text(refusal))
        return console.redirect(f"/cases/{new['group_id']}", "reinitiated")

    # evidence files --------------------------------------------------------------------------------
    @web.get("/evidence/{evidence_id}", include_in_schema=False)
    async def evidence(request: Request, evidence_id: str, download: bool = False) -> Response:
        """A file of a request, passed through from a short-lived link of the evidence service (which
        checks who asks and records it): school PCs never need to reach the object store."""
        ctx = console.context(request)
        try:
            url = await api.evidence_link(ctx.need(), evidence_id)
        except Refused as refusal:
            return await page(ctx, "error.html", status=refusal.status, error=wording.problem_text(refusal))
        response, body = await api.fetch(url)
        kind = response.headers.get("content-type", "application/octet-stream")
        headers = {"Content-Type": kind, "Cache-Control": "private, no-store",
                   "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": "attachment" if download or kind != "image/jpeg" else "inline"}
        return StreamingResponse(body, headers=headers)

    # 消息 ----------------------------------------------------------------------------------------------
    @web.get("/inbox", include_in_schema=False)
    async def inbox(request: Request, unread: bool = False,
                    page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
        ctx = console.context(request)
        found = await api.inbox(ctx.need(), unread=unread, page=page_no, page_size=20)
        return await page(ctx, "inbox.html", items=found["items"], has_more=found["has_more"],
                          page_no=page_no, only_unread=unread)

    @web.post("/inbox/{entry_id}/open", include_in_schema=False)
    async def open_entry(request: Request, entry_id: str) -> Response:
        ctx, form = await console.posted(request)
        await api.mark_read(ctx.need(), entry_id)
        group = str(form.get("group_id", ""))
        return console.redirect(f"/cases/{quote(group, safe='')}" if group else "/inbox")

    # 统计 and exports --------------------------------------------------------------------------------
    @web.get("/statistics", include_in_schema=False)
    async def statistics(request: Request, division: str = "") -> Response:
        ctx = console.context(request)
        error, stats = None, None
        try:
            stats = await api.get("/v1/statistics", ctx.need(), {"division": division})
        except Refused as refusal:
            error = wording.problem_text(refusal)
        dead = await dead_letters() if ctx.role == "operator" else None
        return await page(ctx, "statistics.html", stats=stats, error=error, dead_letters=dead)

    async def dead_letters() -> dict[str, int | None]:
        """Dead letters parked by each service's processes since they started (their /metrics)."""
        counts: dict[str, int | None] = {}
        async with httpx.AsyncClient(timeout=3) as client:
            for name, base in console.settings.metrics_urls().items():
                try:
                    text = (await client.get(f"{base}/metrics")).text
                except httpx.HTTPError:
                    counts[name] = None
                    continue
                counts[name] = int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                                       if line.startswith("xueji_dead_letters_total")))
        return counts

    @web.get("/export", include_in_schema=False)
    async def export(request: Request, format: str = "csv") -> Response:
        ctx = console.context(request)
        params = {k: v for k, v in request.query_params.items() if k != "format"}
        kind = "xlsx" if format == "xlsx" else "csv"
        try:
            response, body = await api.stream("/v1/cases/export", ctx.need(), {**params, "format": kind})
        except Refused as refusal:
            return await page(ctx, "error.html", status=refusal.status, error=wording.problem_text(refusal))
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() in ("content-type", "content-disposition")}
        return StreamingResponse(body, headers=headers)

    return web
