"""The page, the partials, the API and the downloads: who sees what."""

from __future__ import annotations

import csv
import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from pqrisk.accounts.models import User
from pqrisk.core.levels import WarningLevel
from pqrisk.dashboard.summaries import refresh
from pqrisk.web.tests import factories as f

PUDONG, JIADING = "310115", "310114"
PANELS = (
    "map",
    "trends",
    "warnings",
    "disposal",
    "matrix",
    "stations",
    "foreign_months",
    "foreign_risks",
)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _story() -> None:
    f.warning(f.risk_info(PUDONG, title="浦东电热水壶漏电"), WarningLevel.ORANGE, "published")
    f.warning(f.risk_info(JIADING, title="嘉定充电宝起火"), WarningLevel.RED, "published")
    refresh()


def test_city_supervisor_sees_the_city(alice: User) -> None:
    _story()
    response = _client(alice).get(reverse("web:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "综合看板 · 全市" in page
    assert "浦东电热水壶漏电" in page and "嘉定充电宝起火" in page
    assert 'id="panel-map"' in page and "geo/shanghai.json" in page  # the map, drawn locally


def test_district_officer_sees_only_their_district(bob: User) -> None:
    _story()
    client = _client(bob)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "综合看板 · 浦东新区" in page
    assert "浦东电热水壶漏电" in page
    assert "嘉定充电宝起火" not in page
    assert client.get(reverse("web:dashboard") + f"?district={JIADING}").status_code == 403

    data = client.get("/api/dashboard/map").json()
    assert [r["code"] for r in data["rows"]] == [PUDONG]
    titles = [r["title"] for r in client.get("/api/dashboard/warnings").json()["rows"]]
    assert titles == [next(t for t in titles if "浦东" in t)]
    assert client.get(f"/api/dashboard/warnings?district={JIADING}").status_code == 403


def test_city_user_may_open_a_district_version(alice: User) -> None:
    _story()
    client = _client(alice)
    data = client.get(f"/api/dashboard/warnings?district={JIADING}").json()
    assert data["scope"] == "嘉定区"
    assert [r["level"] for r in data["rows"]] == ["red"]
    assert client.get("/api/dashboard/map?district=999999").status_code == 400


def test_every_panel_answers_on_api_and_as_partial(alice: User) -> None:
    _story()
    client = _client(alice)
    for name in PANELS:
        data = client.get(f"/api/dashboard/{name}").json()
        assert data["name"] == name and data["columns"], name
        partial = client.get(reverse("web:dashboard_panel", args=[name]))
        assert partial.status_code == 200 and "数据表" in partial.content.decode(), name
    assert client.get("/api/dashboard/trends?dimension=colour").status_code == 400


def test_downloads_hold_the_panel_tables(bob: User) -> None:
    _story()
    client = _client(bob)
    response = client.get(reverse("web:dashboard_download", args=["warnings", "csv"]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["编号", "等级", "标题"]
    assert [r[2] for r in rows[1:]] == [rows[1][2]] and "浦东" in rows[1][2]

    for name in PANELS:
        response = client.get(f"/api/dashboard/{name}/download?format=xlsx")
        assert response.status_code == 200, name
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        assert "浦东新区" in str(sheet["A1"].value)
    assert client.get("/api/dashboard/nope/download").status_code == 404
    assert client.get("/api/dashboard/map/download?format=pdf").status_code == 400


def test_outsiders_get_nothing(client: Client, eve: User, bob: User) -> None:
    assert client.get("/api/dashboard/map").status_code == 401
    assert client.get(reverse("web:dashboard")).status_code == 302  # to the login page
    assert _client(eve).get(reverse("web:dashboard")).status_code == 403
    assert _client(eve).get("/api/dashboard/map").status_code == 403
    assert _client(bob).post("/api/dashboard/refresh").status_code == 403


def test_city_bureau_refreshes_on_demand(alice: User) -> None:
    f.risk_info(PUDONG)
    data = _client(alice).post("/api/dashboard/refresh?full=true").json()
    assert data["full"] and data["rows"] == 3  # one day: all, family, hazard
