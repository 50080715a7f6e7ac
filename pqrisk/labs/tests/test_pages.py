"""The lab pages as the bureau's people use them: dana (评估中心) runs a task from the pages,
alice (市局监管处) sees everything, bob (浦东区局) sees Pudong's tasks and leads only and
changes nothing but his district's referred leads, charlie (嘉定区局) sees none of Pudong's,
eve (no role) nothing at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import JIADING, PUDONG
from pqrisk.accounts.models import User
from pqrisk.labs import services
from pqrisk.labs.models import CustodyEntry, SamplingTask, TestItem, ViolationLead
from pqrisk.reference.models import District

from .builders import (
    LAB,
    bought_task,
    category,
    csv_upload,
    planned_task,
    receipt,
    sealed_sample,
    to_lab,
    today,
)

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def world(dana: User) -> dict[str, Any]:
    """A Pudong task with a failed item and its lead; a planned Jiading task."""
    pd = bought_task(dana, PUDONG)
    sample = sealed_sample(pd, dana)
    to_lab(sample, dana)
    services.enter_result(
        sample,
        dana,
        name="铅",
        standard="GB 6675.4-2014",
        limit="≤90",
        unit="mg/kg",
        measured="150",
        lab=LAB,
        tested_on=today(),
    )
    jd = planned_task(dana, JIADING, title="嘉定实体店抽样", channel="store", platform="")
    return {"pd": pd, "sample": sample, "jd": jd, "lead": ViolationLead.objects.get()}


def urls(w: dict[str, Any]) -> dict[str, str]:
    pd, jd, sample, lead = w["pd"], w["jd"], w["sample"], w["lead"]
    return {
        "list": reverse("labs:task_list"),
        "pd": reverse("labs:task_detail", args=[pd.pk]),
        "jd": reverse("labs:task_detail", args=[jd.pk]),
        "leads": reverse("labs:lead_list"),
        "lead": reverse("labs:lead_detail", args=[lead.pk]),
        "new": reverse("labs:task_new"),
        "purchase": reverse("labs:task_purchase", args=[jd.pk]),
        "sample": reverse("labs:sample_new", args=[pd.pk]),
        "custody": reverse("labs:custody_new", args=[sample.pk]),
        "result": reverse("labs:result_new", args=[sample.pk]),
        "import": reverse("labs:results_import", args=[pd.pk]),
        "rapid": reverse("labs:rapid_new", args=[pd.pk]),
    }


def test_alice_opens_every_page(alice: User, world: dict[str, Any]) -> None:
    c = login(alice)
    for name, url in urls(world).items():
        assert c.get(url).status_code == 200, name
    html = c.get(urls(world)["pd"]).content.decode()
    for shown in ("某某玩具旗舰店", "TB20260301-88", "顺丰速运", "实验室收样", "铅", "≤90"):
        assert shown in html, shown
    assert "不合格" in html and "--badge: #b3261e" in html  # the failed verdict, in red
    assert world["lead"].code in html and "简单接受" in html
    assert "违法线索" in c.get(urls(world)["list"]).content.decode()
    lead_html = c.get(urls(world)["lead"]).content.decode()
    assert "产品质量法" in lead_html and "移送执法" in lead_html


def test_bob_sees_his_district_only_and_cannot_manage(bob: User, world: dict[str, Any]) -> None:
    c = login(bob)
    u = urls(world)
    html = c.get(u["list"]).content.decode()
    assert world["pd"].code in html and world["jd"].code not in html
    assert c.get(u["pd"]).status_code == 200
    page = c.get(u["pd"]).content.decode()
    assert u["sample"] not in page and u["import"] not in page  # no buttons to manage
    assert c.get(u["jd"]).status_code == 404
    assert c.get(u["lead"]).status_code == 200
    assert "移送执法" not in c.get(u["lead"]).content.decode()  # not his to refer
    for name in ("new", "purchase", "sample", "custody", "result", "import", "rapid"):
        assert c.get(u[name]).status_code == 403, name
    assert c.post(u["import"], {}).status_code == 403
    response = c.post(reverse("labs:task_action", args=[world["pd"].pk, "cancel"]))
    assert response.status_code == 403


def test_charlie_sees_nothing_of_pudong(charlie: User, world: dict[str, Any]) -> None:
    c = login(charlie)
    u = urls(world)
    assert world["pd"].code not in c.get(u["list"]).content.decode()
    assert world["lead"].code not in c.get(u["leads"]).content.decode()
    assert c.get(u["pd"]).status_code == 404
    assert c.get(u["lead"]).status_code == 404
    response = c.post(reverse("labs:lead_action", args=[world["lead"].pk, "close"]), {"note": "x"})
    assert response.status_code == 404


def test_eve_and_anonymous_get_nothing(eve: User, world: dict[str, Any]) -> None:
    for url in urls(world).values():
        assert login(eve).get(url).status_code == 403, url
        assert Client().get(url).status_code == 302, url


def test_dana_runs_a_task_from_the_pages(dana: User) -> None:
    c = login(dana)
    pudong = District.objects.get(code=PUDONG)
    r = c.post(
        reverse("labs:task_new"),
        {
            "title": "电动自行车充电器网购抽样",
            "product_category": category().pk,
            "channel": "ecommerce",
            "platform": "京东",
            "shop_name": "某某充电器专营店",
            "lab": LAB,
            "district": pudong.pk,
        },
    )
    task = SamplingTask.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("labs:task_detail", args=[task.pk])

    r = c.post(
        reverse("labs:task_purchase", args=[task.pk]),
        {
            "channel": "ecommerce",
            "platform": "京东",
            "shop_name": "某某充电器专营店",
            "purchased_on": str(today() - timedelta(days=3)),
            "order_number": "JD-1",
            "quantity": "1",
            "purchase_record": receipt(),
        },
    )
    assert r.status_code == 302, r.content.decode()
    c.post(
        reverse("labs:sample_new", args=[task.pk]),
        {"name": "充电器", "seal_number": "F1", "quantity": "1"},
    )
    sample = task.samples.get()
    r = c.post(
        reverse("labs:custody_new", args=[sample.pk]),
        {
            "kind": "lab_received",
            "at": "2000-01-01T10:00",
            "from_party": "京东物流",
            "to_party": LAB,
            "seal_intact": "on",
        },
        follow=True,
    )
    assert "交接时间早于购买日期" in r.content.decode()  # the service's error, shown
    assert not CustodyEntry.objects.exists()

    # A result before the lab received the sample: refused, in Chinese, on the form.
    r = c.post(
        reverse("labs:result_new", args=[sample.pk]),
        {
            "name": "输出电压",
            "standard": "GB 4943.1-2022",
            "limit": "≤5.25",
            "measured": "5.1",
            "lab": LAB,
            "tested_on": str(today()),
        },
    )
    assert r.status_code == 200 and "尚未由实验室接收" in r.content.decode()
    assert not TestItem.objects.exists()

    to_lab(sample, dana)
    bad = csv_upload(
        f"{sample.code},输出电压,GB 4943.1-2022,,≤5.25,V,五点一,",
        "NOPE,温升,GB 4943.1-2022,,≤70,K,65,",
    )
    r = c.post(
        reverse("labs:results_import", args=[task.pk]),
        {"file": bad, "lab": LAB, "tested_on": str(today())},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "文件未导入" in html
    assert "第2行" in html and "不是数字" in html and "第3行" in html and "“NOPE”不存在" in html
    assert not TestItem.objects.exists()

    good = csv_upload(f"{sample.code},输出电压,GB 4943.1-2022,,≤5.25,V,5.6,")
    r = c.post(
        reverse("labs:results_import", args=[task.pk]),
        {"file": good, "lab": LAB, "tested_on": str(today())},
        follow=True,
    )
    assert "已导入1项检验结果，不合格1项" in r.content.decode()
    assert ViolationLead.objects.get().sample == sample

    lead = ViolationLead.objects.get()
    r = c.post(
        reverse("labs:lead_action", args=[lead.pk, "refer"]),
        {"referred_to": "浦东新区市场监管局执法大队", "legal_basis": "产品质量法第四十九条"},
    )
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "referred" and lead.legal_basis == "产品质量法第四十九条"


def test_bob_closes_a_referred_lead_of_his_district(
    dana: User, bob: User, world: dict[str, Any]
) -> None:
    lead = world["lead"]
    services.act_on_lead(lead, "refer", dana, referred_to="浦东新区市场监管局执法大队")
    c = login(bob)
    assert "办结" in c.get(reverse("labs:lead_detail", args=[lead.pk])).content.decode()
    r = c.post(reverse("labs:lead_action", args=[lead.pk, "close"]), {"note": ""})
    assert r.status_code == 200 and "请检查" in r.content.decode()
    r = c.post(reverse("labs:lead_action", args=[lead.pk, "close"]), {"note": "已立案"})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "closed"
