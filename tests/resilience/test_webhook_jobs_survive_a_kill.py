"""Notify killed (-9) while webhook deliveries are in flight: afterwards the province system has
every event of its groups, each group's in order, and nothing is lost. A delivery whose sender
died mid-request goes again once its lease runs out, so the receiver may see that one event id
twice; it drops it by ``X-Xueji-Event-Id`` as the contract says, and at most the jobs in flight
at the kill (one per endpoint) come twice."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from xueji_contracts.enums import Gender, Role
from xueji_contracts.topics import case_topic
from xueji_contracts.webhooks import EVENT_ID, verify

from services.common.reading import read_all
from services.common.settings import ServiceSettings
from services.dedup.demo import synthetic_id_number

from ..e2e.people import case_of, fresh_birth, register
from ..messages import decoded_or_none
from ..system import System, eventually, running_system
from ..unit.dedup.factories import record

pytestmark = pytest.mark.integration
SECRET = "beijing-resilience-secret"


class Province:
    """A slow province system on its own thread: every delivery takes a while, so some are in flight."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        province = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                assert verify(SECRET.encode(), dict(self.headers), body)
                time.sleep(0.25)
                with province.lock:
                    province.received.append((self.headers[EVENT_ID], json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        with self.lock:
            return [event_id for event_id, _ in self.received]


def case_of_group(system: System, group: str) -> dict[str, Any] | None:
    with system.client("workflow", Role.OPERATOR, "000000") as operator:
        answer = operator.get(f"/v1/cases/{group}")
        return dict(answer.json()) if answer.status_code == 200 else None


@pytest.fixture
def province() -> Iterator[Province]:
    receiver = Province()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def system(tmp_path_factory: pytest.TempPathFactory, province: Province) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("system")) as running:
        running.restart_with("notify", {
            "XUEJI_WEBHOOK_URLS": json.dumps({"110000": province.url}),
            "XUEJI_WEBHOOK_SECRETS": json.dumps({"110000": SECRET}),
            "XUEJI_DELIVERY_IDLE_SECONDS": "0.2",
            "XUEJI_DELIVERY_BACKOFF_SECONDS": "0.2", "XUEJI_DELIVERY_BACKOFF_MAX_SECONDS": "1"})
        yield running


async def test_webhook_jobs_in_flight_survive_a_kill_with_nothing_lost_and_each_group_in_order(
    system: System, province: Province,
) -> None:
    rng, birth = fresh_birth()
    records = []
    for n in range(6):  # six Beijing groups, two members each
        number = synthetic_id_number(rng, "110105", birth, Gender.MALE if n % 2 else Gender.FEMALE)
        serial = rng.randrange(1000, 9000)
        records += [record(serial, number=number, school="1101050131", birth=birth),
                    record(serial + 1, number=number, school="1101050132", birth=birth)]
    await register(*records)
    groups: set[str] = set()
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, "1101050132") as school,
        system.client("workflow", Role.SCHOOL_LEADER, "1101050132") as leader,
    ):
        for a, b in zip(records[::2], records[1::2], strict=True):
            def opened(pair: frozenset[str] = frozenset({a.registry_number, b.registry_number})
                       ) -> dict[str, Any] | None:
                return case_of(school, set(pair))

            case = eventually(opened)
            groups.add(case["group_id"])
            url = f"/v1/cases/{case['group_id']}/members/{b.registry_number}"
            deletion = {"action": "delete", "confirm": True}
            assert school.post(f"{url}/actions", json=deletion).status_code == 200
            assert leader.post(f"{url}/deletion-confirmation").status_code == 200
    eventually(lambda: len(province.ids()) >= 3, within=60)  # deliveries have begun
    system.kill("notify")  # -9, one delivery mid-request
    system.start("notify")
    system.wait_ready("notify")

    async def expected() -> dict[str, tuple[str, int]]:
        """Every event of our groups on Beijing's topic: event id → (group, sequence)."""
        found = {}
        for message in await read_all(ServiceSettings().KAFKA_BOOTSTRAP, case_topic("110000")):
            event = decoded_or_none(message.value)  # other tests' poison is None
            if event is not None and event.get("group_id") in groups:
                found[event["event_id"]] = (event["group_id"], event["sequence"])
        return found

    # the groups close once dedup has deleted the records: every event is on the topic by then
    eventually(lambda: all((case_of_group(system, g) or {}).get("closed") for g in groups), within=90)
    wanted = await expected()
    assert len(wanted) >= 6 * 4  # opened, deletion submitted and confirmed, closed: at least, per group
    eventually(lambda: set(wanted) <= set(province.ids()), within=90)
    received = province.ids()
    assert len(received) - len(set(received)) <= 1  # only what was in flight at the kill came again
    with province.lock:
        first: dict[str, dict[str, Any]] = {}
        for event_id, event in province.received:
            first.setdefault(event_id, event)
    for group_id in groups:  # each group's events in their order
        sequences = [e["sequence"] for e in first.values() if e["group_id"] == group_id]
        assert sequences == sorted(sequences)
