"""Fuzzing the running services' HTTP APIs from their OpenAPI documents (served on each management port):
no 5xx, every answer documented."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token

from ..system import management_url
from .conftest import SERVICES, System

pytestmark = pytest.mark.integration
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CALLERS = {  # a real caller, so requests reach the routes' own checks rather than stopping at 401
    "workflow": (Role.SCHOOL_REGISTRAR, "1101050001"),
    "evidence": (Role.SCHOOL_REGISTRAR, "1101050001"),
    "notify": (Role.BUREAU_REGISTRAR, "110105"),
}


def openapi_of(service: str) -> Any:
    port = SERVICES[service]
    schema = schemathesis.openapi.from_url(f"{management_url(port)}/openapi.json")
    schema.config.update(base_url=f"http://127.0.0.1:{port}")  # the calls go to the API port
    return schema.include(path_regex="^/v1/")


def bearer(system: System, service: str) -> dict[str, str]:
    role, organisation = CALLERS[service]
    return {"Authorization": "Bearer " + mint_token(local_key_pair(system.keys)[0], role, organisation)}


FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                derandomize=True)  # the same inputs in every CI run: a failure always reproduces


@pytest.mark.parametrize("service", ["workflow", "evidence", "notify"])
def test_every_answer_is_documented_and_none_is_a_server_error(system: System, service: str) -> None:
    headers = bearer(system, service)
    for result in openapi_of(service).get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
