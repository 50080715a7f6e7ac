"""The access matrix (issue 12, part 6): every URL of the URL conf × everyone who may knock.

The URLs are enumerated from the resolver, so a new endpoint without a rule in
``access_rules.RULES`` fails ``test_every_url_has_a_rule``. For each URL and person:

- anonymous visitors are sent to the sign-in page (pages) or get 401 (API);
- users without a page role (eve, and stan, a station's account) get 403;
- charlie (嘉定区局) gets 403 or 404 for a Pudong row, and the page does not show its name;
- whoever the rule allows gets the page (200; 405 is not an answer for a page they may see);
- state-changing URLs (POST) refuse whoever is not allowed, and the rows do not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from pqrisk.audit.models import AuditEvent

from .access_rules import PERSONAS, RULES, Kind, Rule
from .urlconf import endpoints, url_for
from .world import JD_MARK, PD_MARK, World

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
NO_PAGE_ROLE = ("anon", "eve", "stan")
ENDPOINTS = endpoints()
CASES = [(ep.name, who) for ep in ENDPOINTS if ep.rule is not None for who in PERSONAS]


@pytest.fixture(scope="module")
def clients(world: World) -> Iterator[dict[str, Client]]:
    """One signed-in client per person, made inside the module's transaction."""
    made = {"anon": Client()}
    for name, user in world.people.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        made[name] = client
    yield made


def test_every_url_has_a_rule() -> None:
    missing = [f"{ep.name} ({ep.route})" for ep in ENDPOINTS if ep.rule is None]
    assert not missing, f"URLs without an access rule: {missing}"
    stale = sorted(set(RULES) - {ep.name for ep in ENDPOINTS})
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _snapshot(rule: Rule, rows: dict[str, Any]) -> dict[str, Any]:
    """The rows a POST could change (those named in its URL) and the audit trail's length."""
    state: dict[str, Any] = {"audit": AuditEvent.objects.count()}
    for source in rule.args.values():
        if source.startswith("="):
            continue
        row: Model = rows[source.split("@", 1)[0]]
        fresh = type(row)._base_manager.filter(pk=row.pk).values().first()
        state[source] = fresh
    return state


def _refused(rule: Rule, who: str, response: Any) -> None:
    """How a refusal looks: sign-in page or 401 for anonymous, 403/404 for the others."""
    if who == "anon":
        if rule.kind is Kind.API:
            assert response.status_code == 401, response
        else:
            assert response.status_code == 302, response
            assert response["Location"].startswith(LOGIN), response["Location"]
        return
    if who in NO_PAGE_ROLE:
        assert response.status_code == 403, response
    else:
        assert response.status_code in (403, 404), response
    assert PD_MARK not in _body(response)


@pytest.mark.parametrize(("name", "who"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_matrix(name: str, who: str, world: World, clients: dict[str, Client]) -> None:
    rule = RULES[name]
    client = clients[who]
    url = url_for(name, rule, world.rows)
    if rule.kind is Kind.ABSENT:
        assert client.get(url).status_code == 404
        return
    if rule.kind is Kind.PUBLIC:
        response = client.get(url)
        assert response.status_code == 200, response
        return
    if rule.kind is Kind.LOGIN:
        # Signing out ends the session: a client of its own, not the shared one.
        client = Client()
        if who != "anon":
            client.force_login(
                world.people[who], backend="django.contrib.auth.backends.ModelBackend"
            )
        response = client.post(url) if rule.post else client.get(url)
        assert response.status_code == (200 if who == "anon" and not rule.post else 302)
        return
    if rule.kind is Kind.STAFF:
        response = client.get(url)
        assert response.status_code == 302, response
        assert response["Location"].startswith(reverse("admin:login"))
        return
    if rule.kind is Kind.TOKEN:
        before = _snapshot(rule, world.rows)
        response = client.post(url, {}, content_type="application/json")
        assert response.status_code == 401, response
        assert _snapshot(rule, world.rows) == before
        return
    if rule.post:
        _post(rule, who, client, url, world)
        return
    response = client.get(url)
    if rule.allowed(who):
        assert response.status_code == 200, response
        if who == "bob":
            # Whatever bob opens, list or row, shows nothing of Jiading.
            assert JD_MARK not in _body(response)
    else:
        _refused(rule, who, response)


def _post(rule: Rule, who: str, client: Client, url: str, world: World) -> None:
    if rule.allowed(who) and rule.refusals_only:
        return
    before = _snapshot(rule, world.rows)
    if rule.kind is Kind.API:
        response = client.post(url, rule.body, content_type="application/json")
    else:
        response = client.post(url, {})
    if rule.allowed(who):
        # A minimal body is refused as incomplete or acted on; never a server error, never
        # "you may not".
        assert response.status_code in (200, 201, 302, 400, 409, 422), response
        return
    if who in NO_PAGE_ROLE or (rule.scoped and who == "charlie"):
        _refused(rule, who, response)
    else:
        # A role the rule does not allow: refused outright, or sent back to the page with the
        # workflow's reason (302) — in every case nothing changes.
        assert response.status_code in (302, 403, 404), response
    assert _snapshot(rule, world.rows) == before


def test_a_station_reports_with_its_token_and_nothing_else(world: World) -> None:
    """The station endpoint answers the station's token; a wrong token or a session is 401."""
    url = reverse("api:station_report")
    client = Client()
    wrong = client.post(
        url, "[]", content_type="application/json", HTTP_AUTHORIZATION="Bearer not-a-token"
    )
    assert wrong.status_code == 401
    assert "令牌" in wrong.json()["detail"]
    right = client.post(
        url,
        "not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.station_token}",
    )
    # Past the token: the body is judged (400 in Chinese), not the caller.
    assert right.status_code == 400, right.content
    assert right.json()["detail"]


def test_the_admin_is_for_staff_accounts(world: World) -> None:
    staff = type(world.people["adam"]).objects.create_superuser(
        "root", "root@example.com", "correct-horse-battery"
    )
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_api_refusal_names_the_reason_in_chinese(clients: dict[str, Client]) -> None:
    refused = clients["eve"].get(reverse("api:list_warnings"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "您的账户没有使用接口的角色。"
    station_session = clients["stan"].get(reverse("graph:api_patterns"))
    assert station_session.status_code == 403
    assert "角色" in station_session.json()["detail"]


def test_intake_page_shows_a_batch_without_a_submitter(
    world: World, clients: dict[str, Client]
) -> None:
    from pqrisk.intake.models import IngestBatch

    IngestBatch.objects.create(source_label="station.json", station=world["station"])
    assert clients["dana"].get(reverse("web:intake")).status_code == 200


def test_communication_list_shows_an_activity_without_its_recorder(
    clients: dict[str, Client],
) -> None:
    from datetime import date

    from pqrisk.communication.models import CommunicationActivity

    CommunicationActivity.objects.create(
        kind="popular_science", title="电动自行车安全充电科普", held_on=date.today()
    )
    assert clients["dana"].get(reverse("web:communication_list")).status_code == 200
