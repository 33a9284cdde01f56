"""Schemathesis over the OpenAPI spec: user input never causes a 5xx or a response that breaks the schema.

Each documented operation gets its own hypothesis run (schemathesis' strategies,
driven directly: its pytest plugin does not support this pytest version).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.conftest import ServerThread

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
"""No 5xx, responses match their documented schema, status codes and content types are documented.
(Schema-valid but meaningless values such as tz=',./;' are rightly answered 400 naming the parameter.)"""
OPERATIONS = [
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/freshness"),
    ("GET", "/api/v1/assets"),
    ("GET", "/api/v1/market"),
    ("GET", "/api/v1/assets/{asset}/series"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/report"),
    ("POST", "/api/v1/check"),
    ("GET", "/api/v1/alerts/rules"),
    ("PUT", "/api/v1/alerts/rules"),
]


@pytest.fixture(scope="module")
def api_schema(live_server: ServerThread) -> BaseSchema:
    """The live server's OpenAPI spec."""
    return schemathesis.openapi.from_url(live_server.url + "/openapi.json")


def test_every_api_operation_is_fuzzed(api_schema: BaseSchema) -> None:
    documented = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_never_fails_on_user_input(
    api_schema: BaseSchema, live_server: ServerThread, method: str, path: str
) -> None:
    operation = api_schema[path][method]

    @given(data=st.data())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        case.call_and_validate(base_url=live_server.url, checks=CHECKS)

    run()
