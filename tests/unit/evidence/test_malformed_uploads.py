"""A body that is not a complete multipart upload of files is refused with its own 4xx code, and
nothing is stored: no object, no record, no event."""

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from starlette.requests import ClientDisconnect
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet

from services.common.auth import Principal
from services.common.errors import ServiceError
from services.evidence.usecases import learn_parties, store_evidence

from ..workflow.factories import brief
from .fakes import case_members, chunked, fake_parts, form
from .malformed import Malformed, cases
from .samples import JPEG, OLE2

GROUP, MEMBER = uuid4(), brief(1, "110105")
REGISTRAR = Principal(subject="r", role=Role.SCHOOL_REGISTRAR, organisation_code=MEMBER.school_code)


def opened() -> ev.GroupOpened:
    return ev.GroupOpened(producer="workflow", group_id=GROUP, problem_type=ProblemType.DUPLICATE_ID,
                          province_codes=("110000",), rule_set=RuleSet.R2017, members=case_members(MEMBER),
                          arbitration_status=ArbitrationStatus.NOT_NEEDED)


@pytest.mark.parametrize("chunk", [1, 100, 1 << 20])
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
async def test_a_malformed_upload_is_a_4xx_with_its_own_code_and_stores_nothing(
    case: Malformed, chunk: int
) -> None:
    parts, objects, records, published = fake_parts()
    await learn_parties(records, opened())
    with pytest.raises(ServiceError) as refused:
        await store_evidence(parts, REGISTRAR, GROUP, MEMBER.registry_number, case.headers,
                             chunked(case.body, chunk))
    assert (refused.value.status, refused.value.code) == (case.status, case.code), refused.value.detail
    assert refused.value.rule and refused.value.detail
    assert objects.count() == 0 and objects.buckets == set()
    assert records.evidence == {} and published.written == []


def test_every_malformed_case_has_a_code_of_its_own() -> None:
    by_code = {c.code for c in cases()}
    assert len(by_code) == 7 and all(400 <= c.status < 500 for c in cases())


@pytest.mark.parametrize("chunk", [1, 7, 100])
async def test_a_whole_upload_read_in_any_chunks_is_stored(chunk: int) -> None:
    parts, objects, records, _ = fake_parts()
    await learn_parties(records, opened())
    headers, body = form(("a.jpg", JPEG), ("b.doc", OLE2))
    stored = await store_evidence(parts, REGISTRAR, GROUP, MEMBER.registry_number, headers,
                                  chunked(body, chunk))
    assert [s.file.data for s in stored] == [bytearray(JPEG), bytearray(OLE2)]
    assert objects.count() == 2 and len(records.evidence) == 2


async def test_a_client_that_goes_away_mid_body_is_a_truncated_upload_and_stores_nothing() -> None:
    parts, objects, records, published = fake_parts()
    await learn_parties(records, opened())
    headers, body = form(("a.jpg", JPEG))

    async def then_gone() -> AsyncIterator[bytes]:
        yield body[:100]
        raise ClientDisconnect()

    with pytest.raises(ServiceError) as refused:
        await store_evidence(parts, REGISTRAR, GROUP, MEMBER.registry_number, headers, then_gone())
    assert (refused.value.status, refused.value.code) == (400, "upload_truncated")
    assert objects.count() == 0 and records.evidence == {} and published.written == []
