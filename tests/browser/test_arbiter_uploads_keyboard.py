"""The console for the arbiter, for uploads the page or the server refuses, for a bureau working
with the keyboard alone, and what it guards: CSRF on every form, and no page showing a user
more than the same user's API call answers."""

import re

import httpx
import pytest
from playwright.async_api import Page, expect
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..e2e.people import attest_with_evidence, case_of, fresh_birth, register
from ..unit.dedup.factories import record
from ..unit.evidence.samples import EXE, JPEG
from .conftest import CONSOLE, People, System, eventually, file, screenshot

pytestmark = pytest.mark.integration
REGISTRY_NUMBER = re.compile(r"[GJL]\d{17}[\dX]")


async def test_cross_district_arbitration_picks_exactly_one_with_a_reason(
    system: System, people: People,
) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.FEMALE)
    a = record(rng.randrange(1000, 9999), number=number, school="1101050081", birth=birth,
               gender=Gender.FEMALE)
    b = record(rng.randrange(1000, 9999), district="110108", number=number, school="1101080082", birth=birth,
               gender=Gender.FEMALE)
    await register(a, b)
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as school_a,
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110105") as bureau_a,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110108") as bureau_b,
    ):
        group = eventually(lambda: case_of(school_a, {a.registry_number, b.registry_number}))["group_id"]
        for school, bureau, rec in ((school_a, bureau_a, a), (school_b, bureau_b, b)):
            attest_with_evidence(system, school, group, rec)
            url = f"/v1/cases/{group}/members/{rec.registry_number}/review"
            assert bureau.post(url, json={"decision": "approved"}).status_code == 200

    arbiter = await people.signed_in("arbiter", "110000")  # Beijing's districts: the municipality (§1)
    row = arbiter.locator("tbody tr", has_text=group)
    await expect(row).to_contain_text(a.registry_number)
    await expect(row).to_contain_text(b.registry_number)
    await screenshot(arbiter, "arbiter-pending")
    await row.locator("a:has-text('仲裁')").click()
    for rec in (a, b):  # every approved side's materials, side by side
        card = arbiter.locator("section.member", has_text=rec.registry_number)
        await expect(card).to_contain_text("本校学生信息真实")
        await expect(card.locator("a[download]")).to_have_count(1)
    await arbiter.check(f"input[name=approved][value='{b.registry_number}']")
    await arbiter.click("button:has-text('提交仲裁结果')")  # no reason: the page asks for it, nothing sent
    assert await arbiter.locator("textarea[name=reason]").evaluate("t => !t.validity.valid")
    await arbiter.fill("textarea[name=reason]", "乙校学籍与户籍一致")
    await screenshot(arbiter, "arbiter-decide")
    await arbiter.click("button:has-text('提交仲裁结果')")
    await expect(arbiter.locator(".flash")).to_contain_text("仲裁结果已提交")
    await expect(arbiter.locator("tbody tr", has_text=group)).to_have_count(0)
    await arbiter.click("a:has-text('已仲裁')")
    await expect(arbiter.locator("tbody tr", has_text=group)).to_be_visible()
    await arbiter.goto(f"/cases/{group}")
    await expect(arbiter.locator("#arbitration")).to_contain_text("已仲裁")
    await expect(arbiter.locator("td", has_text="乙校学籍与户籍一致").first).to_be_visible()


async def test_uploads_refused_in_the_page_for_type_and_size_and_by_the_server_per_file(
    system: System, people: People,
) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    a = record(rng.randrange(1000, 9999), number=number, school="1101050091", birth=birth)
    b = record(rng.randrange(1000, 9999), number=number, school="1101050092", birth=birth)
    await register(a, b)
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        group = eventually(lambda: case_of(api_a, {a.registry_number, b.registry_number}))["group_id"]
    school = await people.signed_in("school_registrar", a.school_code)
    await school.goto(f"/cases/{group}/members/{a.registry_number}/attest")
    await school.fill("textarea[name=opinion]", "本校学生，信息属实")
    await school.set_input_files("#files", [
        file("程序.exe", EXE, "application/octet-stream"),
        file("大照片.jpg", JPEG + b"\x00" * (2 * 1024 * 1024), "image/jpeg"),
    ])
    problems = school.locator("#file-problems li")
    await expect(problems).to_have_count(2)
    await expect(problems.nth(0)).to_contain_text("程序.exe：只能上传 DOC、RAR、JPG 文件")
    await expect(problems.nth(1)).to_contain_text("大照片.jpg：文件超过 2 MB")
    await expect(school.locator("button:has-text('提交佐证')")).to_be_disabled()
    await screenshot(school, "upload-refused-in-page")

    # a file the page cannot judge: the server refuses it, the page says which, the opinion is kept
    await school.set_input_files("#files", [
        file("证明.jpg", JPEG, "image/jpeg"),
        file("伪装.jpg", EXE, "image/jpeg"),
    ])
    await expect(school.locator("#file-problems li")).to_have_count(0)
    await school.click("button:has-text('提交佐证')")
    await expect(school.locator(".error")).to_contain_text("有文件未上传成功")
    await expect(school.locator("#file-problems li")).to_have_text(["伪装.jpg：文件内容与扩展名不符"])
    await expect(school.locator("textarea[name=opinion]")).to_have_value("本校学生，信息属实")
    await screenshot(school, "upload-refused-by-server")
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        member = next(m for m in api_a.get(f"/v1/cases/{group}").json()["members"]
                      if m["registry_number"] == a.registry_number)
    assert member["stage"] == "to_handle"  # nothing was submitted


async def tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until the element is focused, as a keyboard user would."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took the focus")


async def test_a_bureau_reviews_with_the_keyboard_alone(system: System, people: People) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    a = record(rng.randrange(1000, 9999), number=number, school="1101050101", birth=birth)
    b = record(rng.randrange(1000, 9999), number=number, school="1101050102", birth=birth)
    await register(a, b)
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        group = eventually(lambda: case_of(api_a, {a.registry_number, b.registry_number}))["group_id"]
        attest_with_evidence(system, api_a, group, a)
    bureau = await people.signed_in("bureau_registrar", "110105")
    review = f"a[href='/cases/{group}/members/{a.registry_number}/review']"
    await tab_to(bureau, review)
    await bureau.keyboard.press("Enter")
    await bureau.wait_for_url(re.compile("/review$"))
    await tab_to(bureau, "input[name=decision]")  # the radio group, then the arrow key to 不通过
    await bureau.keyboard.press("ArrowDown")
    assert await bureau.is_checked("input[value=rejected]")
    await tab_to(bureau, "textarea[name=reason]")
    await bureau.keyboard.type("佐证材料不清晰，请重新上传")
    await tab_to(bureau, "button[type=submit]")
    await screenshot(bureau, "keyboard-review")
    await bureau.keyboard.press("Enter")
    await expect(bureau.locator(".flash")).to_contain_text("审核不通过")
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        member = next(m for m in api_a.get(f"/v1/cases/{group}").json()["members"]
                      if m["registry_number"] == a.registry_number)
    assert member["stage"] == "to_handle" and member["rejected_reason"] == "佐证材料不清晰，请重新上传"


async def test_forms_need_the_csrf_value_and_pages_show_no_more_than_the_api(
    system: System, people: People,
) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    a = record(rng.randrange(1000, 9999), number=number, school="1101050111", birth=birth, prefix="G")
    b = record(rng.randrange(1000, 9999), number=number, school="1101050112", birth=birth, name="李四")
    await register(a, b)
    with system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as api_b:
        group = eventually(lambda: case_of(api_b, {a.registry_number, b.registry_number}))["group_id"]
        answered = api_b.get(f"/v1/cases/{group}").text + api_b.get(f"/v1/cases/{group}/history").text
    school_b = await people.signed_in("school_registrar", b.school_code)
    await school_b.goto(f"/cases/{group}")
    html = await school_b.content()
    assert a.registry_number not in html and number not in html  # school A's G number is its ID number
    assert set(REGISTRY_NUMBER.findall(html)) <= set(REGISTRY_NUMBER.findall(answered))
    assert "张三" not in html  # another school's member: the masked name only
    await screenshot(school_b, "school-other-g-member-masked")

    # the same session's cookie, a form posted without its CSRF value (or with another): refused
    cookies = {c["name"]: c["value"] for c in await school_b.context.cookies()}
    url = f"{CONSOLE}/cases/{group}/members/{b.registry_number}/withdraw"
    async with httpx.AsyncClient(cookies=cookies) as client:
        assert (await client.post(url, data={})).status_code == 403
        assert (await client.post(url, data={"csrf": "not-the-value"})).status_code == 403
    cookie = next(c for c in await school_b.context.cookies() if c["name"] == "xueji_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
