"""Scenario 8: wrong type, disguised executable, 2 MB + 1 byte and empty files are refused; a
valid JPG is stored and downloadable only by the parties of its case."""

import httpx
import pytest
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..unit.dedup.factories import record
from ..unit.evidence.samples import EXE, JPEG
from .conftest import System, eventually
from .people import case_of, fresh_birth, register

pytestmark = pytest.mark.integration
TWO_MB = 2 * 1024 * 1024


async def test_bad_evidence_is_refused_and_good_evidence_reaches_only_the_parties(system: System) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.FEMALE)
    serial = rng.randrange(1000, 9998)
    a = record(serial, number=number, gender=Gender.FEMALE, school="1101050071", birth=birth)
    b = record(serial + 1, number=number, gender=Gender.FEMALE, school="1101050072", birth=birth)
    await register(a, b)
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as cases:
        group = eventually(lambda: case_of(cases, {a.registry_number, b.registry_number}))["group_id"]
    params = {"group_id": group, "registry_number": a.registry_number}
    with system.client("evidence", Role.SCHOOL_REGISTRAR, a.school_code) as school:
        # once the evidence service has learnt the group from its case events
        eventually(lambda: school.post("/v1/evidence", params=params, files=[("files", ("空.jpg", b""))])
                   .json().get("code") == "file_refused")
        for name, content in (("说明.txt", b"plain text"), ("照片.jpg", EXE),
                              ("大.jpg", JPEG + b"\x00" * (TWO_MB + 1 - len(JPEG))), ("空.jpg", b"")):
            refused = school.post("/v1/evidence", params=params, files=[("files", (name, content))])
            assert 400 <= refused.status_code < 500, (name, refused.status_code)
            assert refused.json()["code"] == "file_refused" and name in refused.json()["detail"]
        stored = school.post("/v1/evidence", params=params, files=[("files", ("证明.jpg", JPEG))])
        assert stored.status_code == 200, stored.text
        [evidence] = stored.json()
        assert evidence["new"] is True  # nothing of the refused files was stored before it
        link = f"/v1/evidence/{evidence['evidence_id']}/link"
        url = school.post(link).json()["url"]
        async with httpx.AsyncClient() as anyone_with_the_link:
            assert (await anyone_with_the_link.get(url)).content == JPEG
    with system.client("evidence", Role.BUREAU_REGISTRAR, "110105") as bureau:
        assert bureau.post(link).status_code == 200
    for role, organisation in ((Role.SCHOOL_REGISTRAR, "1101050079"), (Role.BUREAU_REGISTRAR, "110108")):
        with system.client("evidence", role, organisation) as outsider:
            assert outsider.post(link).status_code == 403
