"""The upload route as the service assembles it (``assemble``: problem table, token verifier), with
the in-memory ports: every malformed multipart body is a 4xx problem with its own code and stores
nothing, and a member that left its group is refused with a 409. The lifespan (Kafka, MongoDB) is not
run; no request here needs it."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet
from xueji_contracts.problems import MemberBrief

from services.common.auth import local_key_pair, mint_token
from services.common.service import Plumbing, assemble
from services.evidence import api
from services.evidence.main import SERVICE
from services.evidence.settings import EvidenceSettings
from services.evidence.usecases import learn_parties

from ...unit.evidence.fakes import (
    FakeObjects,
    FakeRecords,
    RecordingPublisher,
    case_members,
    fake_parts,
    form,
)
from ...unit.evidence.malformed import Malformed, cases
from ...unit.evidence.samples import JPEG
from ...unit.workflow.factories import brief

GROUP = uuid4()
STAYS, LEAVES = brief(1, "110105"), brief(2, "110108")
COMMON = {"producer": "workflow", "group_id": GROUP, "problem_type": ProblemType.DUPLICATE_ID,
          "province_codes": ("110000",)}


@dataclass
class Service:
    http: httpx.AsyncClient
    objects: FakeObjects
    records: FakeRecords
    published: RecordingPublisher
    keys: Path
    management: FastAPI  # health, metrics and the API's document

    def token(self, school: str) -> dict[str, str]:
        private, _ = local_key_pair(self.keys)
        return {"Authorization": "Bearer " + mint_token(private, Role.SCHOOL_REGISTRAR, school)}

    def nothing_stored(self) -> bool:
        return self.objects.count() == 0 and self.records.evidence == {} and self.published.written == []


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    settings = EvidenceSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=tmp_path / "jwt")
    parts, objects, records, published = fake_parts(settings)
    await learn_parties(records, ev.GroupOpened(**COMMON, rule_set=RuleSet.R2017,
                                                members=case_members(STAYS, LEAVES),
                                                arbitration_status=ArbitrationStatus.NOT_NEEDED))
    app = assemble(Plumbing(SERVICE, settings), routers=[api.router(parts)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://evidence") as http:
        yield Service(http, objects, records, published, settings.JWT_LOCAL_KEY_DIR, app.state.management)


async def upload(service: Service, headers: dict[str, str], body: bytes, member: MemberBrief = STAYS
                 ) -> httpx.Response:
    params = {"group_id": str(GROUP), "registry_number": member.registry_number}
    return await service.http.post("/v1/evidence", params=params, content=body,
                                   headers={**headers, **service.token(member.school_code)})


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
async def test_a_malformed_upload_is_a_problem_with_its_own_code_and_stores_nothing(
    service: Service, case: Malformed
) -> None:
    response = await upload(service, case.headers, case.body)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == case.code and problem["status"] == case.status and problem["detail"]
    assert problem["type"].endswith(case.code)
    assert service.nothing_stored()


async def test_the_route_documents_every_status_a_malformed_upload_gets(service: Service) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.management),
                                 base_url="http://evidence-management") as management:
        document = (await management.get("/openapi.json")).json()
    documented = set(document["paths"]["/v1/evidence"]["post"]["responses"])
    assert {str(c.status) for c in cases()} <= documented


async def test_an_upload_for_a_member_that_left_is_a_409_in_chinese_and_english(service: Service) -> None:
    await learn_parties(service.records, ev.MembersChanged(**COMMON, members=case_members(STAYS),
                                                           left=(case_members(LEAVES)[0].member_ref,)))
    response = await upload(service, *form(("a.jpg", JPEG)), member=LEAVES)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert (problem["code"], problem["rule"]) == ("refused", "evidence.member_of_group")
    assert "不在本问题组" in problem["detail"] and "no longer in this group" in problem["detail"]
    assert service.nothing_stored()
    stays = await upload(service, *form(("a.jpg", JPEG)))
    assert stays.status_code == 200, stays.text
