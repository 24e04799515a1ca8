"""The 统计 page changing after a case closes, and the lists exported as CSV and Excel, opened and
read back with the same masking as the screen."""

import csv
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from playwright.async_api import Page, expect
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..e2e.people import case_of, fresh_birth, register
from ..unit.dedup.factories import record
from .conftest import People, System, eventually, screenshot

pytestmark = pytest.mark.integration
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet's rows, read straight from the file's XML (shared or inline strings)."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 — our own file
            shared = ["".join(t.text or "" for t in si.iter(f"{SHEET}t")) for si in root.iter(f"{SHEET}si")]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows = []
    for row in sheet.iter(f"{SHEET}row"):
        cells = []
        for cell in row.iter(f"{SHEET}c"):
            value = cell.find(f"{SHEET}v")
            if cell.get("t") == "s" and value is not None:
                cells.append(shared[int(value.text or 0)])
            elif cell.get("t") == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{SHEET}t")))
            else:
                cells.append(value.text or "" if value is not None else "")
        rows.append(cells)
    return rows


async def number(page: Page, selector: str) -> int:
    return int((await page.locator(selector).inner_text()).strip())


async def test_progress_follows_a_closing_case_and_exports_read_back_masked(
    system: System, people: People,
) -> None:
    rng, birth = fresh_birth()
    id_number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    school = f"110105{rng.randrange(2000, 9999)}"  # a school of this test's own: its counts start at 0
    a = record(rng.randrange(1000, 9999), number=id_number, school=school, birth=birth, prefix="G")
    b = record(rng.randrange(1000, 9999), number=id_number, school="1101050122", birth=birth)
    await register(a, b)
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        group = eventually(lambda: case_of(api_a, {a.registry_number, b.registry_number}))["group_id"]

    registrar = await people.signed_in("school_registrar", school)

    async def progress() -> tuple[int, int]:
        await registrar.goto("/statistics")
        return await number(registrar, "#total-records"), await number(registrar, "#total-open")

    async def until(wanted: tuple[int, int]) -> None:
        seen = None
        for _ in range(60):
            if (seen := await progress()) == wanted:
                return
            await registrar.wait_for_timeout(500)
        raise AssertionError(f"the progress page showed {seen}, never {wanted}")

    await until((1, 1))
    row = registrar.locator("#by-type tr[data-type=DUPLICATE_ID]")
    await expect(row.locator("[data-stage=to_handle]")).to_have_text("1")
    await screenshot(registrar, "progress-before")

    # school B deletes its record (registrar, then leader); dedup ends the group, A's problem is gone
    url_b = f"/v1/cases/{group}/members/{b.registry_number}"
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.SCHOOL_LEADER, b.school_code) as leader_b,
    ):
        deletion = {"action": "delete", "confirm": True}
        assert school_b.post(f"{url_b}/actions", json=deletion).status_code == 200
        assert leader_b.post(f"{url_b}/deletion-confirmation").status_code == 200
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        eventually(lambda: (case_of(api_a, {a.registry_number, b.registry_number}) or {}).get("closed"))
    await until((1, 0))
    bars = registrar.locator(".bars div")
    assert (await bars.last.inner_text()).strip() == "1"  # cleared this week
    await screenshot(registrar, "progress-after")

    # the district bureau exports its list: CSV and Excel, the other school's G number masked alike
    bureau = await people.signed_in("bureau_registrar", "110105")
    await bureau.goto(f"/cases?registry_number={a.registry_number}")
    exported = {}
    for label, kind in (("导出 CSV", "csv"), ("导出 Excel", "xlsx")):
        async with bureau.expect_download() as info:
            await bureau.click(f"a:has-text('{label}')")
        download = await info.value
        assert re.fullmatch(rf"[\w.-]+\.{kind}", download.suggested_filename)
        path = await download.path()
        exported[kind] = path.read_bytes()
    text = exported["csv"].decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    sheet = xlsx_rows(exported["xlsx"])
    for rows in (csv_rows, sheet):
        assert rows[0][:4] == ["学籍号", "姓名", "学校代码", "问题类型"]
        mine = next(r for r in rows if r[0] == a.registry_number)
        assert mine[1] == "张*" and mine[2] == school and mine[3] == "身份证件号重复"
    assert a.registry_number in text and b.registry_number in text  # the bureau sees its district in full
    with system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as api_b:
        shown = api_b.get(f"/v1/cases/{group}").json()
    masked_a = next(m["registry_number"] for m in shown["members"] if m["school_code"] == school)
    assert masked_a != a.registry_number  # school B sees school A's G number masked ...
    other = await people.signed_in("school_registrar", b.school_code)
    await other.goto(f"/cases?registry_number={b.registry_number}")
    async with other.expect_download() as info:
        await other.click("a:has-text('导出 CSV')")
    school_csv = (await (await info.value).path()).read_text(encoding="utf-8-sig")
    assert a.registry_number not in school_csv and id_number not in school_csv  # ... in its export too
    assert masked_a in school_csv and b.registry_number in school_csv
