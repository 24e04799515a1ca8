"""The console's own guards, with the workflow API answered by a stand-in transport: sessions,
CSRF, sign-in per environment, the proxy's token, and refusals shown in the users' words.
(The console in a real browser against the real services: tests/browser.)"""

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token
from services.console.main import create_app
from services.console.session import COOKIE
from services.console.settings import ConsoleSettings
from services.console.web import HOME

GROUP = "525e0274-938b-5977-9206-14a808e98e78"
RANDOM_KEY = "k9Qz3xV7pL2mN8rT5wY1bC4dF6gH0jK_s-A"


def case(**member: Any) -> dict[str, Any]:
    return {"group_id": GROUP, "problem_type": "DUPLICATE_ID", "rule_set": "2017",
            "arbitration_status": "not_needed", "arbiter_code": None, "sides": [], "closed": False,
            "opened_at": "2026-11-30T08:00:00Z", "linked_group_id": None, "finished_provinces": [],
            "suggested_id_number": None,
            "members": [{"brief": None, "registry_number": "L110105201203045678", "school_code": "1101050001",
                         "province_code": "110000", "stage": "to_handle", "allowed_actions": ["attest"],
                         "next_steps": [], **member}]}


class Workflow:
    """What the workflow answers, and what the console asked of it."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.refuse: dict[str, tuple[int, dict[str, Any]]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path in self.refuse:
            status, body = self.refuse[path]
            return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})
        if path == "/v1/inbox":
            return httpx.Response(200, json={"has_more": False, "items": []})
        if path == "/v1/cases":
            return httpx.Response(200, json={"has_more": False, "items": [case()]})
        if path.endswith("/history"):
            return httpx.Response(200, json=[])
        if path.startswith("/v1/cases/"):
            return httpx.Response(200, json=case())
        return httpx.Response(404, json={"code": "not_found", "detail": "no such route"})


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "jwt"


def console(keys: Path, workflow: Workflow, **settings: Any) -> TestClient:
    options: dict[str, Any] = {"ENVIRONMENT": "test", "JWT_LOCAL_KEY_DIR": keys, **settings}
    return TestClient(create_app(ConsoleSettings(**options), httpx.MockTransport(workflow)),
                      base_url="https://console.test", follow_redirects=False)


def signed_in(client: TestClient, role: str = "school_registrar", org: str = "1101050001") -> str:
    """Sign in through the page; the CSRF value of the session's forms."""
    form = client.get("/signin")
    csrf = str(form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0])
    answer = client.post("/signin", data={"csrf": csrf, "role": role, "org": org})
    assert answer.status_code == 303 and answer.headers["location"] == HOME[role]
    return csrf


def test_the_session_cookie_is_http_only_and_strict_and_secure_outside_local(keys: Path) -> None:
    set_cookie = console(keys, Workflow()).get("/signin").headers["set-cookie"]
    assert f"{COOKIE}=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert "Secure" not in set_cookie  # local and test: plain HTTP on the developer's machine


def test_a_form_without_the_sessions_csrf_value_is_refused_and_nothing_is_sent(keys: Path) -> None:
    workflow = Workflow()
    client = console(keys, workflow)
    csrf = signed_in(client)
    url = f"/cases/{GROUP}/members/L110105201203045678/withdraw"
    before = len(workflow.calls)
    for data in ({}, {"csrf": "another"}):
        refused = client.post(url, data=data)
        assert refused.status_code == 403 and "校验码" in refused.text
    assert len(workflow.calls) == before  # the API never heard of it
    assert client.post(url, data={"csrf": csrf}).status_code == 303
    assert workflow.calls[-1].url.path == f"/v1/cases/{GROUP}/members/L110105201203045678/withdrawal"


def test_every_call_carries_the_users_own_token(keys: Path) -> None:
    workflow = Workflow()
    client = console(keys, workflow)
    signed_in(client, "bureau_registrar", "110105")
    client.get("/cases")
    sent = workflow.calls[-1].headers["authorization"].removeprefix("Bearer ")
    claims = json.loads(base64.urlsafe_b64decode(sent.split(".")[1] + "=="))
    assert (claims["role"], claims["org"]) == ("bureau_registrar", "110105")


def test_a_refusal_is_shown_in_chinese_with_the_services_reason(keys: Path) -> None:
    workflow = Workflow()
    workflow.refuse[f"/v1/cases/{GROUP}/members/L110105201203045678/withdrawal"] = (
        409, {"code": "refused", "detail": "no request nobody has taken up", "status": 409})
    client = console(keys, workflow)
    csrf = signed_in(client)
    answer = client.post(f"/cases/{GROUP}/members/L110105201203045678/withdraw", data={"csrf": csrf})
    assert answer.status_code == 409
    assert "当前不能进行此操作：no request nobody has taken up" in answer.text


def test_the_sign_in_refuses_an_organisation_not_shaped_like_the_role(keys: Path) -> None:
    client = console(keys, Workflow())
    form = client.get("/signin")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/signin", data={"csrf": csrf, "role": "school_registrar", "org": "110105"})
    assert answer.status_code == 422 and "10 位学校代码" in answer.text


def test_in_production_there_is_no_sign_in_page_and_the_proxys_token_is_used(keys: Path) -> None:
    private, public = local_key_pair(keys)
    public_file = keys / "idp.pem"
    public_file.write_bytes(public)
    workflow = Workflow()
    client = console(keys, workflow, ENVIRONMENT="production", JWT_PUBLIC_KEY_FILES=(public_file,),
                     MEMBER_REF_KEY=RANDOM_KEY, CONSOLE_SESSION_KEY=RANDOM_KEY)
    first = client.get("/signin")
    assert first.status_code == 401
    assert "Secure" in first.headers["set-cookie"]  # the session (its CSRF value) over HTTPS only
    token = mint_token(private, Role.SCHOOL_REGISTRAR, "1101050001")
    page = client.get("/cases", headers={"X-Forwarded-Access-Token": token})
    assert page.status_code == 200 and "L110105201203045678" in page.text
    assert workflow.calls[-1].headers["authorization"] == f"Bearer {token}"
    assert all(token not in value for value in client.cookies.values())  # the token is never kept
    assert client.get("/cases").status_code == 401  # no token, no page


def test_the_development_session_key_is_refused_outside_local_and_test(keys: Path) -> None:
    with pytest.raises(ValueError, match="CONSOLE_SESSION_KEY"):
        ConsoleSettings(ENVIRONMENT="production", MEMBER_REF_KEY=RANDOM_KEY)
