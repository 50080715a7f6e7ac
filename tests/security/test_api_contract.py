"""The API contract (issue 12, part 5): schemathesis generates requests from the OpenAPI
schema of the django-ninja API and sends them in-process to the WSGI application, signed in
as each of alice (市局监管处), dana (评估中心), bob (浦东区局) and eve (no role), and with the
station's token for the station endpoint. No answer may be a server error (5xx), and every
status code must be one the schema documents.

Generation is derandomised and small (``MAX_EXAMPLES`` per operation and person, no
shrinking), so the run is the same on every machine and stays short in CI. Path ids are drawn
both at random (mostly unknown ids: 404) and from the rows of the matrix's world, so the
handlers also run on real Pudong and Jiading rows.

Operations left out, with the reason:

- none. ``POST /api/dashboard/refresh`` runs the summaries on the world's few rows; the
  exchange imports read the generated body and quarantine what they cannot read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from pqrisk.api import api

from .world import World

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 10
PEOPLE = ("alice", "dana", "bob", "eve")
STATION_OPERATION = "POST /api/intake/station-reports"

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = sorted(op.ok().label for op in SCHEMA.get_all_operations())
CASES = [(label, who) for label in OPERATIONS if label != STATION_OPERATION for who in PEOPLE]

# Path parameters that name a row of the world: the Pudong row, which bob may see.
ROW_OF_PARAMETER = {
    "info_id": "pd_info",
    "warning_id": "pd_warning",
    "task_id": "pd_task",
    "enterprise_id": "pd_enterprise",
}


@pytest.fixture(scope="module")
def sessions(world: World) -> Iterator[dict[str, str]]:
    """Session cookies of the people, made inside the module's transaction."""
    cookies = {}
    for who in PEOPLE:
        client = Client()
        client.force_login(world.people[who], backend="django.contrib.auth.backends.ModelBackend")
        cookies[who] = client.cookies["sessionid"].value
    yield cookies


@pytest.fixture
def in_process() -> Iterator[None]:
    """The WSGI application runs in the test's thread and transaction: keep Django from
    closing the connection at the end of each request, as its test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _strategy(label: str, world: World) -> Any:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None, label
    names = {p.name for p in operation.path_parameters}
    known = {n: world[ROW_OF_PARAMETER[n]].pk for n in names if n in ROW_OF_PARAMETER}
    if not known:
        return operation.as_strategy()
    return st.one_of(operation.as_strategy(), operation.as_strategy(path_parameters=known))


def _run(label: str, world: World, cookies: dict[str, str], headers: dict[str, str]) -> int:
    calls = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(label, world))
    def check(case: Any) -> None:
        nonlocal calls
        response = case.call(app=APP, cookies=cookies, headers=headers)
        calls += 1
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    check()
    return calls


@pytest.mark.parametrize(("label", "who"), CASES, ids=[f"{lb}-{w}" for lb, w in CASES])
def test_no_server_error(
    label: str, who: str, world: World, sessions: dict[str, str], in_process: None
) -> None:
    csrf = _get_new_csrf_string()
    calls = _run(
        label,
        world,
        cookies={"sessionid": sessions[who], "csrftoken": csrf},
        headers={"X-CSRFToken": csrf},
    )
    assert calls > 0


def test_a_station_report_is_never_a_server_error(world: World, in_process: None) -> None:
    calls = _run(
        STATION_OPERATION,
        world,
        cookies={},
        headers={"Authorization": f"Bearer {world.station_token}"},
    )
    assert calls > 0


def test_every_operation_is_in_the_contract_run() -> None:
    """Nothing documented is left out of the run: a new operation joins it by itself."""
    documented = {
        f"{method.upper()} {path}"
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
    }
    assert set(OPERATIONS) == documented
    assert {label for label, _ in CASES} | {STATION_OPERATION} == documented
