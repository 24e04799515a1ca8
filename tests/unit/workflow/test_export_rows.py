"""The rows of an export: each member as the case view shows it, in the document's words."""

from datetime import timedelta

from xueji_contracts.enums import Role

from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.export import COLUMNS, export_rows
from services.workflow.domain.state import Actor

from .factories import NOW, attest, brief, bureau, case_of, registrar

POLICY = DeadlinePolicy()


def test_every_row_has_a_value_or_a_blank_for_each_column() -> None:
    case = case_of(brief(1), brief(2, "440103"))
    assert all(len(row) == len(COLUMNS) for row in export_rows(case, bureau(brief(1)), POLICY))


def test_members_awaiting_arbitration_show_it_and_its_deadline() -> None:
    a, b = brief(1, "440103", prefix="G"), brief(2, "440106", prefix="G")
    case = case_of(a, b)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    city = Actor(role=Role.ARBITER, organisation_code="440100")
    rows = {row[2]: row for row in export_rows(case, city, POLICY)}
    due = (NOW + timedelta(days=POLICY.arbitration_days)).date().isoformat()
    assert rows[a.school_code][:1] == (a.registry_number,)  # the arbiter takes part in both
    assert rows[a.school_code][4:7] == ("主管教育局审核通过", "是", due)


def test_a_settled_member_shows_its_outcome_and_no_deadline() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a, approve=True)
    own = next(row for row in export_rows(case, registrar(a), POLICY) if row[2] == a.school_code)
    assert own[4:7] == ("处理结束（佐证）", "否", "")
