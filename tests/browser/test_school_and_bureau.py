"""The document's main path in the console, person by person in Chromium: a registrar attests with
two files, the bureau sees them and approves, the other school's attestation shows as
auto-rejected, that school deletes after both prompts and its leader confirms, the group
closes, and the first school re-initiates after both prompts."""

import re

import pytest
from playwright.async_api import Page, expect
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..e2e.people import attest_with_evidence, case_of, fresh_birth, register
from ..unit.dedup.factories import record
from ..unit.evidence.samples import JPEG, OLE2
from .conftest import People, System, eventually, file, screenshot

pytestmark = pytest.mark.integration


async def confirm_twice(page: Page, first: str, second: str) -> None:
    """The page's two prompts, each answered 确定."""
    dialog = page.locator("#confirm-dialog")
    await expect(dialog).to_contain_text(first)
    await dialog.locator("button.ok").click()
    await expect(dialog).to_contain_text(second)
    await dialog.locator("button.ok").click()


async def test_attest_review_auto_reject_delete_confirm_and_reinitiate(
    system: System, people: People,
) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    serial = rng.randrange(1000, 9999)
    a = record(serial, number=number, school="1101050071", birth=birth)
    b = record(serial + 1, number=number, school="1101050072", birth=birth)
    await register(a, b)
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        group = eventually(lambda: case_of(api_a, {a.registry_number, b.registry_number}))["group_id"]

    # 学校 A: 查询 by 学籍号, then 佐证 with two files
    school_a = await people.signed_in("school_registrar", a.school_code)
    await school_a.fill("input[name=registry_number]", a.registry_number)
    await school_a.click("button:has-text('查询')")
    row = school_a.locator("tbody tr", has_text=a.registry_number)
    await expect(row).to_contain_text("身份证件号重复")
    await expect(row).to_contain_text("待学校处理")
    await screenshot(school_a, "school-query")
    await row.locator("a:has-text('佐证')").click()
    await school_a.fill("textarea[name=opinion]", "两个不同的学生，附户口本与入学登记表")
    await school_a.set_input_files("#files", [
        file("户口本.jpg", JPEG + b"a", "image/jpeg"),
        file("入学登记表.doc", OLE2, "application/msword"),
    ])
    await expect(school_a.locator("#chosen-files li")).to_have_count(2)
    await screenshot(school_a, "school-attest")
    await school_a.click("button:has-text('提交佐证')")
    await expect(school_a.locator(".flash")).to_contain_text("佐证已提交")

    # 学校 B attests through the API; the bureau reviews A in the console
    with system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as api_b:
        attest_with_evidence(system, api_b, group, b)
    bureau = await people.signed_in("bureau_registrar", "110105")
    await expect(bureau).to_have_url(re.compile("/reviews"))
    row = bureau.locator("tbody tr", has_text=a.registry_number)
    await row.locator("a:has-text('审核')").click()
    await expect(bureau.locator(".panel", has_text="学校意见")).to_contain_text("两个不同的学生")
    await expect(bureau.locator("a[download]")).to_have_count(2)
    await expect(bureau.locator("a[download]", has_text="入学登记表.doc")).to_be_visible()
    preview = bureau.locator("img[alt='户口本.jpg']")
    await expect(preview).to_be_visible()
    served = await bureau.request.get(str(await preview.get_attribute("src")))  # the bureau's own session
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
    assert (await served.body()).startswith(JPEG[:3])  # the file the school uploaded, passed through
    await expect(bureau.locator(".warn")).to_contain_text(b.registry_number)  # what approving rejects
    await screenshot(bureau, "bureau-review")
    await bureau.check("input[value=approved]")
    await bureau.click("button:has-text('提交审核')")
    await expect(bureau.locator(".flash")).to_contain_text("审核通过")

    # 学校 B sees its attestation auto-rejected, deletes it after both prompts
    school_b = await people.signed_in("school_registrar", b.school_code)
    await school_b.goto(f"/cases/{group}")
    card = school_b.locator("section.member", has_text=b.registry_number)
    await expect(card.locator(".stage")).to_have_text("待学校处理")
    await expect(card).to_contain_text("驳回原因")
    await expect(card).to_contain_text(a.registry_number)  # auto-rejected: approving that member did it
    await screenshot(school_b, "school-auto-rejected")
    await card.locator("button:has-text('删除')").click()
    await confirm_twice(school_b, "确认删除学籍", "请再次确认删除")
    await expect(school_b.locator(".flash")).to_contain_text("删除申请已提交")

    # 学校主管领导 confirms the deletion
    leader = await people.signed_in("school_leader", b.school_code)
    await expect(leader).to_have_url(re.compile("/leader"))
    row = leader.locator("tbody tr", has_text=b.registry_number)
    await screenshot(leader, "leader-queue")
    await row.locator("button:has-text('确认删除')").click()
    dialog = leader.locator("#confirm-dialog")
    await dialog.locator("button.ok").click()
    await expect(leader.locator(".flash")).to_contain_text("已确认删除")

    # the group closes once dedup deletes B; A re-initiates after both prompts
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as api_a:
        eventually(lambda: (case_of(api_a, {a.registry_number, b.registry_number}) or {}).get("closed"))
    await school_a.goto(f"/cases/{group}")
    card = school_a.locator("section.member", has_text=a.registry_number)
    await expect(card.locator(".stage")).to_have_text("佐证通过")
    await screenshot(school_a, "school-closed-group")
    await card.locator("button:has-text('发起重新处理')").click()
    await confirm_twice(school_a, "发起重新处理后", "再次确认是否发起")
    await expect(school_a.locator(".flash")).to_contain_text("重新发起成功")
    new_group = school_a.url.rsplit("/", 1)[-1]
    assert new_group != group
    await school_a.goto("/cases?status=open")
    await expect(school_a.locator(f"tr[data-group='{new_group}']")).to_contain_text(a.registry_number)
    await screenshot(school_a, "school-reinitiated")
