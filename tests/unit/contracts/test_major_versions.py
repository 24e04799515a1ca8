"""The compatibility gate across major versions: contracts 2 broke the case events (members named
by reference, registry numbers only for a province's own members) and moved them to the v2 case
topics; the gate accepts that only because they moved."""

from xueji_contracts import spec


def test_within_major_1_the_new_case_events_would_be_refused() -> None:
    problems = spec.incompatibilities(current="1.3.0", against="1.2.0")
    assert any("case.group_opened" in p for p in problems)
    assert any("case.action_submitted" in p for p in problems)


def test_major_2_accepts_them_because_they_moved_to_the_v2_case_topics() -> None:
    assert spec.incompatibilities(current="2.0.0", against="1.2.0") == []
    assert spec.incompatibilities() == []  # and nothing breaks the 2.0.0 release itself
    moved = spec.moved_to(2)
    assert {"case.group_opened", "case.members_changed", "case.reviewed"} <= moved
    assert "problem.detected" not in moved and "command.apply_amendment" not in moved


def test_a_message_still_on_a_v1_topic_may_not_break_even_in_a_new_major(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(spec, "moved_to", lambda major: set())
    assert spec.incompatibilities(current="2.0.0", against="1.2.0")


def test_within_major_2_a_case_event_may_not_break_the_2_0_0_release(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    schemas = spec.message_schemas()
    broken = {**schemas, "case.group_opened": {**schemas["case.group_opened"], "properties": {}}}
    monkeypatch.setattr(spec, "message_schemas", lambda: broken)
    assert any("case.group_opened" in p for p in spec.incompatibilities(current="2.1.0"))
