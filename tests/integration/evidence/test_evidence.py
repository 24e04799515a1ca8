"""The evidence service on the real local S3 server, database and broker."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet
from xueji_contracts.topics import case_topic

from services.common.auth import local_key_pair, mint_token
from services.evidence import main
from services.evidence.settings import EvidenceSettings

from ...consumer_groups import groups_of, start_at_end
from ...unit.evidence.fakes import case_members
from ...unit.evidence.samples import EXE, JPEG, OLE2
from ...unit.workflow.factories import brief

pytestmark = pytest.mark.integration
GROUP = uuid4()
RN, OTHER_RN = "G" + "110105201201010013", "L44010320120101" + "0002"  # G + an 18-digit ID number
SCHOOL, OTHER_SCHOOL = "1101050001", "4401030002"


@pytest.fixture
def evidence_settings(unique: str, tmp_path: Path) -> EvidenceSettings:
    return EvidenceSettings(
        MONGO_DATABASE=f"ev_{unique}",
        CONSUMER_GROUP=f"ev-{unique}",
        BUCKET_PREFIX=f"ev-{unique}",
        JWT_LOCAL_KEY_DIR=tmp_path / "jwt",
    )


@pytest.fixture
async def app(evidence_settings: EvidenceSettings) -> AsyncIterator[FastAPI]:
    await start_at_end(groups_of("evidence", evidence_settings.CONSUMER_GROUP))
    application = main.create_app(evidence_settings)
    async with application.router.lifespan_context(application):
        ref = evidence_settings.member_ref
        await application.state.records.learn_members(
            GROUP,
            {
                ref(RN): {"school_code": SCHOOL, "district_code": "110105", "province_code": "110000"},
                ref(OTHER_RN): {"school_code": OTHER_SCHOOL, "district_code": "440103",
                                "province_code": "440000"},
            },
            [],
        )
        records = application.state.records
        await records.write_cases([(GROUP, await records.case(GROUP), {"arbiter_code": "000000"})])
        yield application


@pytest.fixture
def client(app: FastAPI, evidence_settings: EvidenceSettings) -> Any:
    private, _ = local_key_pair(evidence_settings.JWT_LOCAL_KEY_DIR)
    made: list[httpx.AsyncClient] = []

    def make(role: Role = Role.SCHOOL_REGISTRAR, org: str = SCHOOL) -> httpx.AsyncClient:
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://evidence",
            headers={"Authorization": f"Bearer {mint_token(private, role, org)}"},
        )
        made.append(c)
        return c

    return make


async def objects(app: FastAPI, province: str = "110000") -> int:
    count: int = await app.state.objects.count(f"{app.state.prefix}-{province}")
    return count


def upload(c: httpx.AsyncClient, *files: tuple[str, bytes], rn: str = RN) -> Any:
    return c.post(
        "/v1/evidence",
        params={"group_id": str(GROUP), "registry_number": rn},
        files=[("files", (name, content)) for name, content in files],
    )


@pytest.fixture(autouse=True)
def prefix(app: FastAPI, evidence_settings: EvidenceSettings) -> None:
    app.state.prefix = evidence_settings.BUCKET_PREFIX


@pytest.mark.parametrize(
    ("name", "content", "status", "rule"),
    [
        ("report.pdf", b"%PDF-1.7", 422, "file.type_allowed"),
        ("photo.jpg", EXE, 422, "file.content_matches_type"),
        ("big.jpg", JPEG[:3] + b"\x00" * (2 * 1024 * 1024 - 2), 413, "file.max_size"),
        ("empty.jpg", b"", 422, "file.not_empty"),
    ],
)
async def test_a_bad_file_is_refused_by_rule_and_nothing_is_stored(
    app: FastAPI, client: Any, name: str, content: bytes, status: int, rule: str
) -> None:
    response = await upload(client(), ("good.jpg", JPEG), (name, content))
    assert response.status_code == status
    assert response.json()["rule"] == rule and name in response.json()["detail"]
    assert await objects(app) == 0


async def test_an_oversized_upload_is_refused_without_reading_it_all(app: FastAPI, client: Any) -> None:
    boundary = "xuejiboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="huge.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + JPEG[:3]
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head
        for _ in range(200):  # 200 × 64 KiB = 12.5 MiB offered
            sent += 65536
            yield b"\x00" * 65536

    c: httpx.AsyncClient = client()
    response = await c.post(
        "/v1/evidence",
        params={"group_id": str(GROUP), "registry_number": RN},
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert sent <= 2 * 1024 * 1024 + 2 * 65536  # stopped at the limit, not at the end
    assert await objects(app) == 0


async def test_a_truncated_upload_is_a_400_and_leaves_no_object_record_or_event(
    app: FastAPI, client: Any
) -> None:
    files = [("files", ("a.jpg", JPEG)), ("files", ("b.doc", OLE2))]
    request = httpx.Request("POST", "http://evidence", files=files)
    body = request.read()
    boundary = request.headers["Content-Type"].split("boundary=", 1)[1].encode()
    second_part = body.index(b"\r\n--" + boundary) + 2  # the first delimiter after the first file
    c: httpx.AsyncClient = client()
    for cut in (len(body) // 4, second_part, len(body) - 4):  # in a file, between files, before the "--"
        response = await c.post(
            "/v1/evidence",
            params={"group_id": str(GROUP), "registry_number": RN},
            content=body[:cut],
            headers={"Content-Type": request.headers["Content-Type"]},
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "upload_truncated"
    assert await objects(app) == 0  # no object version, not even an empty one
    assert await app.state.records.evidence.count_documents({}) == 0  # no record, so no outbox and no event
    whole = await upload(c, ("a.jpg", JPEG), ("b.doc", OLE2))
    assert whole.status_code == 200, whole.text
    assert all(stored["new"] for stored in whole.json())  # nothing of the cut uploads was kept


async def test_a_valid_file_is_stored_once_and_readable_only_by_the_parties(
    app: FastAPI, client: Any
) -> None:
    first = await upload(client(), ("证明.jpg", JPEG), ("letter.doc", OLE2))
    assert first.status_code == 200, first.text
    again = await upload(client(), ("same-again.jpg", JPEG))
    assert again.json()[0]["evidence_id"] == first.json()[0]["evidence_id"] and not again.json()[0]["new"]
    assert await objects(app) == 2
    jpg = first.json()[0]["evidence_id"]
    for role, org, allowed in [
        (Role.SCHOOL_REGISTRAR, SCHOOL, True),
        (Role.BUREAU_REGISTRAR, "110105", True),
        (Role.ARBITER, "000000", True),
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL, False),
        (Role.BUREAU_REGISTRAR, "440103", False),
        (Role.ARBITER, "110100", False),
    ]:
        response = await client(role, org).post(f"/v1/evidence/{jpg}/link")
        assert (response.status_code == 200) is allowed, (role, org, response.text)
    link = (await client().post(f"/v1/evidence/{jpg}/link")).json()["url"]
    async with httpx.AsyncClient() as outside:
        assert (await outside.get(link)).content == JPEG
        tampered = link.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert (await outside.get(tampered)).status_code == 403
    audited = await app.state.records.links.count_documents({"evidence_id": jpg})
    assert audited == 4


async def test_a_school_uploads_only_for_its_own_member(app: FastAPI, client: Any) -> None:
    response = await upload(client(Role.SCHOOL_REGISTRAR, OTHER_SCHOOL), ("a.jpg", JPEG))
    assert response.status_code == 403
    unknown = await client().post(
        "/v1/evidence",
        params={"group_id": str(uuid4()), "registry_number": RN},
        files=[("files", ("a.jpg", JPEG))],
    )
    assert unknown.status_code == 404
    assert await objects(app) == 0


async def test_links_expire(app: FastAPI, client: Any, evidence_settings: EvidenceSettings) -> None:
    stored = (await upload(client(), ("a.jpg", JPEG))).json()[0]
    record = await app.state.records.get(UUID(stored["evidence_id"]))
    url = await app.state.objects.link(record["bucket"], record["key"], 1)
    await asyncio.sleep(2.5)
    async with httpx.AsyncClient() as outside:
        assert (await outside.get(url)).status_code == 403


async def test_with_the_object_store_down_uploads_fail_with_503_and_nothing_is_recorded(
    unique: str, tmp_path: Path
) -> None:
    settings = EvidenceSettings(
        MONGO_DATABASE=f"ev_down_{unique}",
        BUCKET_PREFIX=f"ev-{unique}",
        S3_ENDPOINT="127.0.0.1:9",
        JWT_LOCAL_KEY_DIR=tmp_path / "jwt",
    )
    application = main.create_app(settings)
    application.state.objects.client._http.connection_pool_kw["retries"] = 0  # fail fast: nothing listens
    async with application.router.lifespan_context(application):
        await application.state.records.learn_members(
            GROUP,
            {settings.member_ref(RN): {"school_code": SCHOOL, "district_code": "110105",
                                       "province_code": "110000"}},
            [],
        )
        private, _ = local_key_pair(settings.JWT_LOCAL_KEY_DIR)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application),
            base_url="http://evidence",
            headers={"Authorization": "Bearer " + mint_token(private, Role.SCHOOL_REGISTRAR, SCHOOL)},
        ) as c:
            response = await upload(c, ("a.jpg", JPEG))
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert await application.state.records.evidence.count_documents({}) == 0


async def test_members_are_learnt_from_case_events_including_those_who_join_later(
        app: FastAPI, client: Any, evidence_settings: EvidenceSettings) -> None:
    group, first, joining = uuid4(), brief(11, "110105"), brief(12, "110108")
    common: dict[str, Any] = {"producer": "workflow", "group_id": group,
                              "problem_type": ProblemType.DUPLICATE_ID, "province_codes": ("110000",)}
    opened = ev.GroupOpened(**common, rule_set=RuleSet.R2017, members=case_members(first),
                            arbitration_status=ArbitrationStatus.NOT_NEEDED)
    joined = ev.MembersChanged(**common, members=case_members(first, joining),
                               joined=(evidence_settings.member_ref(joining.registry_number),))
    producer = AIOKafkaProducer(bootstrap_servers=EvidenceSettings().KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for event in (opened, joined):
            await producer.send_and_wait(case_topic("110000"), event.model_dump_json().encode(),
                                         key=str(group).encode())
    finally:
        await producer.stop()

    async def learnt() -> bool:
        case = await app.state.records.case(group) or {}
        return evidence_settings.member_ref(joining.registry_number) in case.get("members", {})

    async with asyncio.timeout(30):
        while not await learnt():  # noqa: ASYNC110 - the subscriber writes it; the database is the signal
            await asyncio.sleep(0.2)
    response = await client(Role.SCHOOL_REGISTRAR, joining.school_code).post(
        "/v1/evidence", params={"group_id": str(group), "registry_number": joining.registry_number},
        files=[("files", ("a.jpg", JPEG))])
    assert response.status_code == 200, response.text
    case = await app.state.records.case(group)
    assert joining.registry_number not in str(case) and first.registry_number not in str(case)


def carries_the_number(value: Any) -> bool:
    """Whether the G member's registry number or its 18-digit ID number appears in ``value``."""
    return RN in str(value) or RN[1:] in str(value)


async def test_keys_metadata_records_and_links_carry_no_registry_number(
    app: FastAPI, client: Any, evidence_settings: EvidenceSettings
) -> None:
    stored = (await upload(client(), ("张三的证明.jpg", JPEG))).json()[0]
    evidence = stored["evidence_id"]
    bucket = f"{evidence_settings.BUCKET_PREFIX}-110000"
    s3 = app.state.objects.client
    [found] = await asyncio.to_thread(lambda: list(s3.list_objects(bucket, recursive=True)))
    assert found.object_name == f"{GROUP}/{evidence}.jpg"
    stat = await asyncio.to_thread(s3.stat_object, bucket, found.object_name)
    metadata = {k.lower(): v for k, v in stat.metadata.items()}
    assert not carries_the_number(metadata), metadata
    assert metadata["x-amz-meta-member-ref"] == evidence_settings.member_ref(RN)
    assert not any(k.endswith(("registry-number", "original-name")) for k in metadata)
    assert "张三" not in str(metadata) and "张三".encode().hex() not in str(metadata)
    link = (await client(Role.BUREAU_REGISTRAR, "110105").post(f"/v1/evidence/{evidence}/link")).json()["url"]
    assert not carries_the_number(link) and "response-content-disposition" not in link.lower()
    async with httpx.AsyncClient() as outside:
        assert (await outside.get(link)).content == JPEG
    records = app.state.records
    async with asyncio.timeout(30):  # the outbox holds the event (and its number) until it is published
        while "outbox" in (record := await records.evidence.find_one({"_id": evidence})):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    assert not carries_the_number(record) and record["member_ref"] == evidence_settings.member_ref(RN)
    assert record["name"] == "张三的证明.jpg"  # kept for the reviewer's list
    assert not carries_the_number(await records.cases.find_one({"_id": str(GROUP)}))
    assert not carries_the_number(await records.links.find_one({"evidence_id": evidence}))


async def test_a_case_written_in_a_batch_is_left_unwritten_when_another_writer_changed_it(
        app: FastAPI) -> None:
    """On the database: a case is written only while it is as read; another writer's write of a
    later membership in between makes it collide, and the later membership stays."""
    records = app.state.records
    group, fresh = uuid4(), uuid4()
    now = datetime.now(UTC)
    placed = {"school_code": SCHOOL, "district_code": "110105", "province_code": "110000"}

    def case(ref: str, at: datetime) -> dict[str, Any]:
        return {"members": {"m" + ref * 32: placed}, "members_at": at, "departed": {}}

    assert await records.write_cases([(group, None, case("1", now))]) == set()
    [read] = (await records.cases_of([group])).values()
    assert await records.write_cases([(group, read, case("2", now + timedelta(minutes=2)))]) == set()
    written = [(group, read, case("3", now + timedelta(minutes=1))), (fresh, None, case("4", now))]
    assert await records.write_cases(written) == {group}
    assert set((await records.case(group))["members"]) == {"m" + "2" * 32}
    assert set((await records.case(fresh))["members"]) == {"m" + "4" * 32}
