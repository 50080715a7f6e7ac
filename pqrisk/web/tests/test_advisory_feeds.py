"""The public consumer advisories as RSS and Atom: published advisories only, for anyone."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import JIADING, PUDONG
from pqrisk.core.levels import WarningLevel, WarningMode

from . import factories as f

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def warnings(db: Any) -> dict[str, Any]:
    consumer = (WarningMode.CONSUMER_ADVISORY,)
    return {
        "public": f.warning(
            f.risk_info(PUDONG, title="电热水壶漏电"),
            WarningLevel.ORANGE,
            status="published",
            modes=consumer,
            title="关于电热水壶漏电风险的消费提示",
        ),
        "draft": f.warning(
            f.risk_info(JIADING), status="in_review", modes=consumer, title="未发布的提示"
        ),
        "internal": f.warning(
            f.risk_info(PUDONG),
            status="published",
            modes=(WarningMode.INTERNAL_NOTICE,),
            title="内部通报不公开",
        ),
    }


def test_the_rss_feed_lists_published_consumer_advisories_only(warnings: Any) -> None:
    response = Client().get(reverse("web:advisories_rss"))
    assert response.status_code == 200 and "rss" in response["Content-Type"]
    titles = [t.text or "" for t in ET.fromstring(response.content).iter("title")]
    assert any("关于电热水壶漏电风险的消费提示" in t for t in titles)
    assert not any("未发布" in t or "内部通报" in t for t in titles)


def test_the_atom_feed_and_the_page_point_to_each_other(warnings: Any) -> None:
    response = Client().get(reverse("web:advisories_atom"))
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    link = entries[0].find(f"{ATOM}link")
    advisory_url = reverse("web:public_advisory", args=[warnings["public"].pk])
    assert link is not None and link.get("href", "").endswith(advisory_url)
    page = Client().get(reverse("web:public_advisories")).content.decode()
    assert reverse("web:advisories_atom") in page and advisory_url in page
    assert Client().get(advisory_url).status_code == 200
