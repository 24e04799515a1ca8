"""Notify on the real local stack with a real HTTP receiver standing in for a province system."""

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from xueji_contracts import cases as ev
from xueji_contracts.enums import Action, ArbitrationStatus, ProblemType, Role, RuleSet
from xueji_contracts.topics import NOTIFICATIONS, case_topic
from xueji_contracts.webhooks import EVENT_ID, verify

from services.cli.deadletters import requeue_deliveries
from services.common import reading
from services.common.auth import local_key_pair, mint_token
from services.notify import main
from services.notify.settings import NotifySettings

from ...consumer_groups import groups_of, start_at_end
from ...unit.workflow.factories import brief, case_members, mention

pytestmark = pytest.mark.integration
SECRET = b"beijing-webhook-secret"
_N = secrets.randbelow(9000) + 1000  # schools of their own: the shared test topics hold other tests' events
A, B = brief(_N, "110105"), brief(_N + 1, "440103")


class Receiver:
    """A province system: checks signatures, refuses replays, can be told to fail."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.refused = 0
        self.failing: set[str] = set()  # event ids answered with 503
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if request.headers[EVENT_ID] in self.failing:
            return Response(status_code=503)
        if not verify(SECRET, dict(request.headers), body) or request.headers[EVENT_ID] in self.accepted:
            self.refused += 1
            return Response(status_code=409)
        self.accepted.append(request.headers[EVENT_ID])
        return Response(status_code=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    province = Receiver()
    server = uvicorn.Server(uvicorn.Config(province.app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn offers no start event: poll its flag
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield province, f"http://127.0.0.1:{port}/hook"
    server.should_exit = True
    await task


def notify_settings(unique: str, url: str, tmp_path: Path, group_suffix: str = "") -> NotifySettings:
    return NotifySettings(
        MONGO_DATABASE=f"nt_{unique}",
        CONSUMER_GROUP=f"nt-{unique}{group_suffix}",
        PROVINCE_CODES=("110000", "440000"),
        WEBHOOK_URLS={"110000": url},
        WEBHOOK_SECRETS={"110000": SecretStr(SECRET.decode())},
        DELIVERY_BACKOFF_SECONDS=0.05,
        DELIVERY_BACKOFF_MAX_SECONDS=0.1,
        DELIVERY_HORIZON_HOURS=1 / 3600,  # a second: a failing endpoint's job is parked soon
        DELIVERY_IDLE_SECONDS=0.05,
        CIRCUIT_PAUSE_SECONDS=0.2,
        JWT_LOCAL_KEY_DIR=tmp_path / "jwt",
    )


def opened_event() -> ev.GroupOpened:
    return ev.GroupOpened(
        producer="workflow",
        group_id=uuid4(),
        problem_type=ProblemType.DUPLICATE_ID,
        province_codes=("110000", "440000"),
        rule_set=RuleSet.R2017,
        members=case_members(A, B),
        arbitration_status=ArbitrationStatus.NOT_NEEDED,
    )


async def publish(
    settings: NotifySettings, event: ev.CaseEvent, provinces: tuple[str, ...], times: int = 1
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for _ in range(times):
            for province in provinces:
                await producer.send_and_wait(
                    case_topic(province), event.model_dump_json().encode(), key=str(event.group_id).encode()
                )
    finally:
        await producer.stop()


async def until(check: Any, within: float = 30) -> None:
    async with asyncio.timeout(within):
        for _ in range(int(within * 10)):
            if await check():
                return
            await asyncio.sleep(0.1)


async def running(settings: NotifySettings) -> Any:
    app = main.create_app(settings)
    return app, app.router.lifespan_context(app)


def client(
    app: FastAPI, settings: NotifySettings, org: str, role: Role = Role.SCHOOL_REGISTRAR
) -> httpx.AsyncClient:
    private, _ = local_key_pair(settings.JWT_LOCAL_KEY_DIR)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://notify",
        headers={"Authorization": "Bearer " + mint_token(private, role, org)},
    )


async def test_an_event_reaches_the_inboxes_and_the_provinces_webhook_once(
    unique: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    province, url = receiver
    settings = notify_settings(unique, url, tmp_path)
    await start_at_end(groups_of("notify", settings.CONSUMER_GROUP))  # other tests' events: not ours
    event = opened_event()
    await publish(settings, event, ("110000", "440000"), times=2)  # both province topics, and redelivered
    app, lifespan = await running(settings)
    async with lifespan:
        store = app.state.store

        async def both_inboxes() -> bool:
            return bool(await store.inbox.count_documents({"event_id": str(event.event_id)}) == 2)

        await until(both_inboxes)
        await until(lambda: delivered(province, event))
        async with (
            client(app, settings, A.school_code) as school_a,
            client(app, settings, "3101040001") as stranger,
        ):
            mine = await inbox_of(school_a, event, unread=True)
            assert [n["event_type"] for n in mine] == ["case.group_opened"]
            assert await inbox_of(stranger, event) == []
            assert (await stranger.post(f"/v1/inbox/{mine[0]['id']}/read")).status_code == 404
            assert (await school_a.post(f"/v1/inbox/{mine[0]['id']}/read")).status_code == 204
            assert await inbox_of(school_a, event, unread=True) == []
    # a restart that lost its offsets reads everything again: nothing is delivered twice
    again = notify_settings(unique, url, tmp_path, group_suffix="-restarted")
    app, lifespan = await running(again)
    async with lifespan:
        await asyncio.sleep(3)
    assert province.accepted.count(str(event.event_id)) == 1 and province.refused == 0


async def inbox_of(c: httpx.AsyncClient, event: ev.CaseEvent, **params: Any) -> list[dict[str, Any]]:
    """The caller's notifications of this event's group (the shared test topics hold other tests' too)."""
    items = (await c.get("/v1/inbox", params={"page_size": 200, **params})).json()["items"]
    return [n for n in items if n["group_id"] == str(event.group_id)]


async def delivered(province: Receiver, event: ev.CaseEvent) -> bool:
    return str(event.event_id) in province.accepted


async def test_a_failing_receiver_is_retried_then_parked_then_queued_again(
    unique: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    province, url = receiver
    settings = notify_settings(unique, url, tmp_path)
    await start_at_end(groups_of("notify", settings.CONSUMER_GROUP))  # other tests' events: not ours
    event = opened_event()
    province.failing.add(str(event.event_id))
    await publish(settings, event, ("110000",))
    app, lifespan = await running(settings)
    async with lifespan:
        jobs = app.state.jobs

        async def parked() -> bool:
            return bool(await jobs.jobs.count_documents({"event_id": str(event.event_id), "state": "parked"}))

        await until(parked)
        def of_event(record: Any) -> Any:
            return record if str(event.event_id).encode() in (record.value or b"") else None

        failed = await reading.collect(settings.KAFKA_BOOTSTRAP, NOTIFICATIONS, bool, 30, keep=of_event)
        assert b"HTTP 503" in failed[0].value  # notification.failed told the operators
        province.failing.clear()
        # what `xueji dlq replay --deliveries --endpoint 110000` does
        assert await requeue_deliveries(settings, "110000", lambda _: None) == 1
        await until(lambda: delivered(province, event))
    assert province.accepted.count(str(event.event_id)) == 1


def of_group(event: ev.GroupOpened) -> dict[str, Any]:
    return {"producer": "workflow", "group_id": event.group_id, "problem_type": event.problem_type,
            "province_codes": event.province_codes}


async def test_each_role_of_one_code_reads_and_marks_only_its_own_entries(
    unique: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    """DOMAIN §8: a province subscriber and the arbiter of one code, a school's leader and its
    registrar, each read only their own inbox; another role's entry is unknown to them."""
    _, url = receiver
    settings = notify_settings(unique, url, tmp_path)
    await start_at_end(groups_of("notify", settings.CONSUMER_GROUP))  # other tests' events: not ours
    opened = opened_event()
    arbitration = ev.ArbitrationStateChanged(**of_group(opened), status=ArbitrationStatus.PENDING,
                                             arbiter_code="110000")
    deletion = ev.ActionSubmitted(**of_group(opened), **mention(A), action=Action.DELETE,
                                  actor=ev.Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=A.school_code),
                                  needs_leader_confirmation=True)
    for event in (opened, arbitration, deletion):
        await publish(settings, event, ("110000",))
    app, lifespan = await running(settings)
    async with lifespan:
        store = app.state.store

        async def all_written() -> bool:  # both registrars twice, A's leader, the arbiter
            return bool(await store.inbox.count_documents({"group_id": str(opened.group_id)}) == 6)

        await until(all_written)
        async with (
            client(app, settings, "110000", Role.ARBITER) as arbiter,
            client(app, settings, "110000", Role.PROVINCE_SUBSCRIBER) as subscriber,
            client(app, settings, A.school_code, Role.SCHOOL_LEADER) as leader,
            client(app, settings, A.school_code) as registrar,
        ):
            [to_arbitrate] = await inbox_of(arbiter, opened)
            assert to_arbitrate["event_type"] == "case.arbitration_state_changed"
            assert await inbox_of(subscriber, opened) == []  # an empty inbox, not an error
            assert (await subscriber.post(f"/v1/inbox/{to_arbitrate['id']}/read")).status_code == 404
            assert [n["read"] for n in await inbox_of(arbiter, opened, unread=True)] == [False]

            [to_confirm] = await inbox_of(leader, opened)
            assert to_confirm["event_type"] == "case.action_submitted"
            mine = await inbox_of(registrar, opened)
            assert sorted(n["event_type"] for n in mine) == [
                "case.arbitration_state_changed", "case.group_opened"]
            assert to_confirm["id"] not in {n["id"] for n in mine}
            assert (await registrar.post(f"/v1/inbox/{to_confirm['id']}/read")).status_code == 404
            assert (await leader.post(f"/v1/inbox/{mine[0]['id']}/read")).status_code == 404
            assert (await leader.post(f"/v1/inbox/{to_confirm['id']}/read")).status_code == 204
            assert await inbox_of(leader, opened, unread=True) == []
            assert len(await inbox_of(registrar, opened, unread=True)) == 2
            assert (await arbiter.post(f"/v1/inbox/{to_arbitrate['id']}/read")).status_code == 204
