"""The demo data, its population fixture and its scenarios: every problem type, every arbitration level."""

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest
from xueji_contracts.enums import IdType, PopulationOutcome, ProblemType
from xueji_contracts.problems import ProblemDetected
from xueji_contracts.provinces import province_of
from xueji_contracts.students import StudentRecord

from services.dedup.demo import (
    DIVISION_NAMES,
    DUPLICATE_SCENARIOS,
    ID_SCENARIOS,
    DuplicateScenario,
    Generator,
    demo_data,
    main,
    summary,
    write_fixture,
)
from services.dedup.domain.groups import Group
from services.dedup.domain.identity import record_state
from services.dedup.domain.idnumber import number_reasons
from services.dedup.domain.membership import KeyOps, membership_ops, population_request
from services.dedup.population_standin import StandinSettings, answer, load_fixture
from services.dedup.usecases.changes import population_result

from .factories import PEPPER, TODAY

COUNT, SEED = 2000, 2017
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")


def gbt2260() -> dict[str, str]:
    table = files("services.dedup.domain.data").joinpath("gbt2260.tsv").read_text(encoding="utf-8")
    return {row[0]: row[1] for row in (line.split("\t") for line in table.splitlines()[1:] if line)}


def detected(records: list[StudentRecord], fixture: dict[str, dict[str, str]]) -> list[ProblemDetected]:
    """Every group the records open: registered, asked about, answered by the stand-in's logic."""
    groups: dict[str, Group] = {}

    def apply(ops: KeyOps) -> None:
        for key, op in ops:
            op(groups.setdefault(key, Group(key)))

    for record in records:
        state = record_state(record, PEPPER, TODAY)
        asked = (record.id_number, record.name) if record.id_type is IdType.RESIDENT_ID and record.id_number \
            else None
        state, request = population_request(state, asked)
        apply(membership_ops(record.registry_number, None, state, PEPPER, None))
        if request is None:
            continue
        change = population_result(answer(request, fixture, PopulationOutcome.VERIFIED))
        answered = change.compute(state)
        assert answered is not None
        apply(membership_ops(record.registry_number, state, answered, PEPPER, change.suggested_id_number))
    return [e for g in groups.values() for e in g.pending if isinstance(e, ProblemDetected)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[StudentRecord], Generator, Path]:
    records, generator = demo_data(COUNT, SEED)
    path = tmp_path_factory.mktemp("demo") / "population-fixture.jsonl"
    write_fixture(generator, path)
    return records, generator, path


def test_fixture_lines_parse_as_the_standin_reads_them(
        demo: tuple[list[StudentRecord], Generator, Path]) -> None:
    _, generator, path = demo
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    fixture = load_fixture(path)
    assert len(fixture) == len(lines) == len(generator.fixture) > 0
    for entry in lines:
        assert ID_NUMBER.match(entry["id_number"]) and entry["name"]
        assert entry["outcome"] in {"verified", "not_found", "changed"}
        assert ("new_id_number" in entry) == (entry["outcome"] == "changed")
    for entry in (e for e in lines if e["outcome"] == "changed"):
        assert ID_NUMBER.match(entry["new_id_number"])
        assert fixture[entry["new_id_number"]]["outcome"] == "verified"  # the suggested number verifies


def test_demo_data_raises_all_five_problem_types(demo: tuple[list[StudentRecord], Generator, Path]) -> None:
    records, _, path = demo
    fixture = load_fixture(path)
    events = detected(records, fixture)
    assert {e.problem_type for e in events} == set(ProblemType)
    not_found = [e.reasons for e in events if e.problem_type is ProblemType.ID_NOT_FOUND]
    assert any("check_digit" in reasons for reasons in not_found)
    assert any(reasons == ("population_not_found",) for reasons in not_found)
    suggested = [e.suggested_id_number for e in events if e.problem_type is ProblemType.ID_CHANGED]
    new_numbers = {e["new_id_number"] for e in fixture.values() if e["outcome"] == "changed"}
    assert set(suggested) == new_numbers  # each changed number suggests the fixture's new one
    assert all(number_reasons(number, TODAY) == () for number in new_numbers)


def test_summary_counts_what_dedup_finds(demo: tuple[list[StudentRecord], Generator, Path]) -> None:
    records, generator, path = demo
    events = detected(records, load_fixture(path))
    text = summary(records, generator, path, TODAY)

    def count(problem: ProblemType) -> int:
        return sum(e.problem_type is problem for e in events)

    assert f"DUPLICATE_ID 身份证件号重复: {count(ProblemType.DUPLICATE_ID)} 组" in text
    assert f"DUPLICATE_NGB 姓名性别出生日期重复: {count(ProblemType.DUPLICATE_NGB)} 组" in text
    local = sum(e.problem_type is ProblemType.ID_NOT_FOUND and e.reasons != ("population_not_found",)
                for e in events)
    population = count(ProblemType.ID_NOT_FOUND) - local
    assert f"ID_NOT_FOUND 身份证件号不存在: {local} 本地校验 local check + {population} 人口库" in text
    assert f"ID_NAME_MISMATCH 身份证件号与姓名不匹配: {count(ProblemType.ID_NAME_MISMATCH)}" in text
    assert f"ID_CHANGED 身份证件号已发生变更: {count(ProblemType.ID_CHANGED)} " in text
    assert all(s.label in text for s in (*DUPLICATE_SCENARIOS, *ID_SCENARIOS))


def test_scenarios_come_first_and_are_the_same_for_every_run() -> None:
    first, second = Generator(SEED), Generator(SEED)
    assert list(first.scenario_records()) == list(second.scenario_records())
    records, generator = demo_data(20, seed=5)
    scenario_records = [r for _, members in generator.scenarios for r in members]
    assert records[:len(scenario_records)] == scenario_records
    labels = [s.label for s in (*DUPLICATE_SCENARIOS, *ID_SCENARIOS)]
    assert [label for label, _ in generator.scenarios] == labels
    schools = [r.school_code for r in scenario_records]
    assert len(set(schools)) == len(schools)  # each scenario at schools of its own


def test_every_scenario_division_exists_in_gbt2260_under_its_name() -> None:
    table = gbt2260()
    codes = {c for s in DUPLICATE_SCENARIOS for c in (*s.districts, s.arbiter) if c}
    codes |= {s.district for s in ID_SCENARIOS}
    assert codes <= set(DIVISION_NAMES)
    assert {code: table.get(code) for code in DIVISION_NAMES} == DIVISION_NAMES


@pytest.mark.parametrize("scenario", DUPLICATE_SCENARIOS, ids=lambda s: s.label)
def test_each_arbitration_scenario_is_one_id_number_in_its_two_districts(scenario: DuplicateScenario) -> None:
    generator = Generator(SEED)
    list(generator.scenario_records())
    members = dict(generator.scenarios)[scenario.label]
    districts = scenario.districts
    assert tuple(m.district_code for m in members) == districts
    assert len({m.id_number for m in members}) == 1 and len({m.school_code for m in members}) == 2
    assert [e.problem_type for e in detected(list(members), {})] == [ProblemType.DUPLICATE_ID]
    provinces = {province_of(d) for d in districts}
    if scenario.arbiter is None:  # DOMAIN §5: no arbitration across provinces
        assert len(provinces) == 2
    else:  # a city or province bureau above both districts (the level is DOMAIN §1's, named in the label)
        assert provinces == {province_of(scenario.arbiter)} and scenario.arbiter.endswith("00")
        assert all(d != scenario.arbiter for d in districts)


def test_demo_command_writes_the_fixture_and_says_what_to_look_for(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fixture.jsonl"
    main(["--count", "300", "--seed", str(SEED), "--fixture", str(path)])
    out = capsys.readouterr().out
    assert load_fixture(path)
    assert all(problem.value in out for problem in ProblemType)
    assert "仲裁 arbiter 440100 广州市" in out and "跨省 cross-province" in out


def test_demo_command_writes_the_fixture_where_the_standin_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "elsewhere.jsonl"
    monkeypatch.setenv("XUEJI_POPULATION_FIXTURE", str(path))
    main(["--count", "50"])
    assert path == StandinSettings().POPULATION_FIXTURE and load_fixture(path)
    assert str(path) in capsys.readouterr().out
