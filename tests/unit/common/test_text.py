"""Free text accepts what a person types and refuses what hides or reorders it (issue: text input)."""

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from services.common.text import Opinion, Reason
from services.workflow.schemas import ActionRequest

OPINION: TypeAdapter[str] = TypeAdapter(Opinion)


@pytest.mark.parametrize("typed", ["本校学生，户口簿为证。\n第二行：“引号”、《书名》；", "Tab\there",
                                   "张三·李四"])
def test_what_a_person_types_is_accepted(typed: str) -> None:
    assert OPINION.validate_python(typed) == typed


@pytest.mark.parametrize(("sneaked", "named"), [
    ("abc\x00def", "U+0000"), ("colour \x1b[31m", "U+001B"), ("price \u202e01$", "RIGHT-TO-LEFT OVERRIDE"),
    ("isolate \u2066x\u2069", "LEFT-TO-RIGHT ISOLATE"), ("del \x7f", "U+007F"),
])
def test_control_and_bidirectional_characters_are_refused_by_name(sneaked: str, named: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)):
        OPINION.validate_python(sneaked)


def test_lengths_are_bounded() -> None:
    with pytest.raises(ValidationError):
        OPINION.validate_python("字" * 2001)
    with pytest.raises(ValidationError):
        TypeAdapter(Reason).validate_python("")


def test_an_amended_name_is_checked_too() -> None:
    with pytest.raises(ValidationError, match=re.escape("U+202E")):
        ActionRequest.model_validate({"action": "amend", "amendment": {"name": "张\u202e三"}})


def test_the_api_answers_422_naming_the_character() -> None:
    from fastapi import FastAPI

    from services.common.problems import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/t")
    async def take(body: ActionRequest) -> dict[str, str]:
        return {"ok": "yes"}

    answer = TestClient(app).post("/t", json={"action": "attest", "opinion": "好\u202e的"})
    assert answer.status_code == 422 and "RIGHT-TO-LEFT OVERRIDE" in answer.text
    assert "好" not in answer.text  # the input is not echoed back
