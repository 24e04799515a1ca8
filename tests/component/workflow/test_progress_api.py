"""GET /v1/statistics and GET /v1/cases/export through the real routes, over the in-memory ports.

The cases are opened by the use cases (each write is counted by the fake progress counters,
the tallies' sums); callers are authenticated by real tokens.
"""

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4
from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI
from xueji_contracts.enums import ProblemType, Role
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.common.auth import TokenVerifier, local_key_pair, mint_token
from services.common.problems import install_problem_handlers
from services.workflow import api, usecases
from services.workflow.usecases import exporting

from ...unit.workflow.factories import brief
from ...unit.workflow.fakes import FakeCaseStore, FakeProgress, counted_cases

HEADERS = ["学籍号", "姓名", "学校代码", "问题类型", "处理状态", "是否需要仲裁", "期限", "问题组"]
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
Client = Callable[[Role, str], httpx.AsyncClient]


@dataclass
class Wired:
    cases: usecases.Cases
    store: FakeCaseStore
    progress: FakeProgress
    client: Client

    async def open(self, *members: MemberBrief, problem: ProblemType = ProblemType.DUPLICATE_ID) -> str:
        event = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=problem, members=members)
        await usecases.open_case(self.cases, event)
        return str(event.group_id)


@pytest.fixture
async def wired(tmp_path: Path) -> AsyncIterator[Wired]:
    cases, store, progress = counted_cases()
    app = FastAPI()
    app.include_router(api.router(cases, 200))
    install_problem_handlers(app)
    private, public = local_key_pair(tmp_path / "jwt")
    app.state.token_verifier = TokenVerifier([public])
    clients: list[httpx.AsyncClient] = []

    def client(role: Role, organisation: str) -> httpx.AsyncClient:
        token = mint_token(private, role, organisation)
        made = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://workflow",
                                 headers={"Authorization": f"Bearer {token}"})
        clients.append(made)
        return made

    yield Wired(cases, store, progress, client)
    for made in clients:
        await made.aclose()


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


# statistics
async def test_a_bureau_reads_its_district_and_each_of_its_schools(wired: Wired) -> None:
    a, b, c = brief(1), brief(2), brief(3, "440103")
    await wired.open(a, b)
    await wired.open(a.model_copy(update={"registry_number": "L110105201201010009"}), c,
                     problem=ProblemType.DUPLICATE_NGB)
    response = await wired.client(Role.BUREAU_REGISTRAR, "110105").get("/v1/statistics")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["division"]["code"], body["division"]["level"], body["division"]["records"]) == (
        "110105", "district", 3)
    assert {(s["code"], s["level"], s["records"]) for s in body["children"]} == {
        (a.school_code, "school", 2), (b.school_code, "school", 1)}
    by_type = {t["problem_type"]: t for t in body["division"]["by_type"]}
    assert by_type["DUPLICATE_ID"]["stages"]["to_handle"] == 2
    assert by_type["DUPLICATE_NGB"]["open"] == 1
    assert len(body["division"]["cleared"]) == 12
    assert body["pending_changes"] == 0


async def test_the_ministry_sees_the_provinces_below_it(wired: Wired) -> None:
    await wired.open(brief(1), brief(2, "440103"))
    response = await wired.client(Role.OPERATOR, "000000").get("/v1/statistics")
    body = response.json()
    assert (body["division"]["level"], body["division"]["parent_code"]) == ("national", None)
    assert [c["code"] for c in body["children"]] == ["110000", "440000"]


async def test_an_arbiter_reads_a_district_below_it_but_not_beside_it(wired: Wired) -> None:
    await wired.open(brief(1, "440103"), brief(2, "440106"))
    city = wired.client(Role.ARBITER, "440100")
    below = await city.get("/v1/statistics", params={"division": "440103"})
    assert below.status_code == 200, below.text
    assert below.json()["division"]["parent_code"] == "440100"
    above = await city.get("/v1/statistics", params={"division": "440000"})
    assert_problem(above, 403, "outside_jurisdiction")


async def test_a_school_reads_its_own_school_only(wired: Wired) -> None:
    a, b = brief(1), brief(2)
    await wired.open(a, b)
    school = wired.client(Role.SCHOOL_REGISTRAR, a.school_code)
    own = (await school.get("/v1/statistics")).json()
    assert (own["division"]["code"], own["division"]["records"], own["children"]) == (a.school_code, 1, [])
    for other in (b.school_code, "110105"):
        refused = await school.get("/v1/statistics", params={"division": other})
        assert_problem(refused, 403, "outside_jurisdiction")
    subscriber = wired.client(Role.PROVINCE_SUBSCRIBER, "110000")
    assert_problem(await subscriber.get("/v1/statistics"), 403, "outside_jurisdiction")


# export
def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response: httpx.Response) -> list[list[str]]:
    """The first sheet's cells as text, read with the standard library (inline or shared strings)."""
    book = zipfile.ZipFile(io.BytesIO(response.content))
    shared: list[str] = []
    if "xl/sharedStrings.xml" in book.namelist():
        strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 - the app's own file
        shared = ["".join(t.text or "" for t in si.iter(f"{SHEET}t")) for si in strings.iter(f"{SHEET}si")]
    rows = []
    sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    for row in sheet.iter(f"{SHEET}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{SHEET}c"):
            column = ord(cell.attrib["r"][0]) - ord("A")
            if cell.attrib.get("t") == "inlineStr":
                cells[column] = "".join(t.text or "" for t in cell.iter(f"{SHEET}t"))
            elif cell.attrib.get("t") == "s":
                cells[column] = shared[int(cell.findtext(f"{SHEET}v") or 0)]
        rows.append([cells.get(i, "") for i in range(len(HEADERS))])
    return rows


READERS = {"csv": csv_rows, "xlsx": xlsx_rows}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_an_export_shows_each_member_as_the_case_view_does(wired: Wired, file_format: str) -> None:
    own, neighbour, far = brief(1, prefix="G"), brief(2, prefix="G"), brief(3, "440103", prefix="G")
    group = await wired.open(own, neighbour, far)
    school = wired.client(Role.SCHOOL_REGISTRAR, own.school_code)
    response = await school.get("/v1/cases/export", params={"format": file_format})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="problem-records-') and disposition.isascii()
    assert disposition.endswith(f'.{file_format}"')
    rows = READERS[file_format](response)
    assert rows[0] == HEADERS
    by_school = {row[2]: row for row in rows[1:]}
    assert by_school[own.school_code] == [
        own.registry_number, "张*", own.school_code, "身份证件号重复", "待处理", "否", "2026-12-08", group]
    masked = by_school[neighbour.school_code][0]
    assert masked.startswith("G110") and "*" in masked and masked != neighbour.registry_number
    assert by_school[far.school_code][:2] == ["", ""]  # another province: province and school only
    assert neighbour.registry_number not in response.text and far.registry_number not in response.text


async def test_an_export_holds_the_groups_the_listing_holds(
        wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporting, "BATCH", 2)  # several batches
    for n in range(5):
        await wired.open(brief(10 + 2 * n), brief(11 + 2 * n))
    await wired.open(brief(1, "440103"), brief(2, "440103"))  # another district's
    await wired.open(brief(3), brief(4), problem=ProblemType.DUPLICATE_NGB)
    bureau = wired.client(Role.BUREAU_REGISTRAR, "110105")
    for file_format, read in READERS.items():
        every = await bureau.get("/v1/cases/export", params={"format": file_format})
        assert len(read(every)) == 1 + 12
        some = await bureau.get("/v1/cases/export",
                                params={"format": file_format, "problem_type": "DUPLICATE_NGB"})
        assert [row[3] for row in read(some)[1:]] == ["姓名性别出生日期重复"] * 2


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_an_export_over_the_limit_is_refused_before_anything_is_sent(
        wired: Wired, monkeypatch: pytest.MonkeyPatch, file_format: str) -> None:
    monkeypatch.setattr(exporting, "ROWS_MAX", 3)
    await wired.open(brief(1), brief(2))
    await wired.open(brief(3), brief(4))
    bureau = wired.client(Role.BUREAU_REGISTRAR, "110105")
    response = await bureau.get("/v1/cases/export", params={"format": file_format})
    assert_problem(response, 422, "export_too_large")


async def test_an_unknown_export_format_is_invalid(wired: Wired) -> None:
    bureau = wired.client(Role.BUREAU_REGISTRAR, "110105")
    assert_problem(await bureau.get("/v1/cases/export", params={"format": "pdf"}), 422, "invalid_input")
