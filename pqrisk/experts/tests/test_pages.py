"""The expert pages: the library for the assessment centre and the city bureau, the draw page
and the expert panel of a case, and "我的评估任务" for the experts. Who may open what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.experts.models import Expert, ExpertDraw, ExpertRating, RatingRound
from pqrisk.experts.services import case_steps, draw_experts, submit_rating
from pqrisk.reference.models import HazardType, ProductCategory

from .conftest import MAKER, add_expert, expert_user

pytestmark = pytest.mark.django_db


def logged_in(user: User | None) -> Client:
    assert user is not None
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def test_who_may_open_which_page(
    alice: User, dana: User, bob: User, eve: User, case: Any, panel: list[Expert]
) -> None:
    draw = draw_experts(case, dana, size=2, seed=1)
    member = draw.members.order_by("position").first()
    assert member is not None
    expert = member.expert
    staff_pages = [
        "/experts/",
        "/experts/new/",
        f"/experts/{expert.pk}/",
        f"/experts/{expert.pk}/edit/",
        "/experts/cases/",
        f"/experts/cases/{case.pk}/draw/",
        f"/experts/cases/{case.pk}/panel/",
    ]
    for user in (alice, dana):
        c = logged_in(user)
        for url in staff_pages:
            assert c.get(url).status_code == 200, (user, url)
        assert c.get("/experts/mine/").status_code == 403
    for outsider in (bob, eve, member.expert.user):
        c = logged_in(outsider)
        for url in staff_pages:
            r = c.get(url)
            assert r.status_code == 403, (outsider, url)
    assert "仅向评估中心" in text(logged_in(bob).get("/experts/"))
    anonymous = Client().get("/experts/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    mine = logged_in(member.expert.user).get("/experts/mine/")
    assert mine.status_code == 200 and case.code in text(mine)
    # an expert cannot open another expert's rating page
    other = draw.members.order_by("position").last()
    assert other is not None
    r = logged_in(member.expert.user).get(f"/experts/mine/{other.pk}/")
    assert r.status_code == 403 and "这不是您的评估任务" in text(r)


def test_alice_registers_an_expert_with_a_conflict(alice: User, maker: Any) -> None:
    c = logged_in(alice)
    account = expert_user("paul")
    data = {
        "name": "钱工",
        "organisation": "同济大学",
        "title": "教授",
        "phone": "021-65980000",
        "email": "qian@example.cn",
        "account": str(account.pk),
        "product_families": [str(ProductCategory.objects.get(code="01").pk)],
        "hazards": [str(HazardType.objects.get(code="fire").pk)],
        "disciplines": "电气安全、材料阻燃, 电气安全",
        "availability": "active",
        "conflict_enterprises": f"{maker.uscc} {MAKER}\n上海不存在的公司",
        "conflict_declaration": "",
    }
    r = c.post("/experts/new/", data)
    assert r.status_code == 200 and "未在企业库中找到" in text(r) and "上海不存在的公司" in text(r)
    assert not Expert.objects.exists()

    data["conflict_enterprises"] = f"{maker.uscc} {MAKER}"
    r = c.post("/experts/new/", data, follow=True)
    expert = Expert.objects.get()
    assert r.redirect_chain[-1][0] == f"/experts/{expert.pk}/"
    assert expert.user == account and expert.disciplines == ["电气安全", "材料阻燃"]
    assert list(expert.conflict_enterprises.all()) == [maker]
    assert MAKER in text(r) and "登记专家" in text(r)

    data.update(availability="unavailable", unavailable_until="2026-12-31", title="正高级工程师")
    r = c.post(f"/experts/{expert.pk}/edit/", data, follow=True)
    expert.refresh_from_db()
    assert (expert.availability, str(expert.unavailable_until)) == ("unavailable", "2026-12-31")
    assert "修改：职称、可参加情况、暂不可参加至" in text(r)


def test_dana_draws_on_the_draw_page(dana: User, case: Any, panel: list[Expert]) -> None:
    add_expert(dana, "吴工", organisation="上海晶澜电器有限公司质量部")
    c = logged_in(dana)
    page = text(c.get(f"/experts/cases/{case.pk}/draw/"))
    assert "随机抽取" in page and "家用电器" in page and MAKER in page
    r = c.post(f"/experts/cases/{case.pk}/draw/", {"size": "3", "match": "any"}, follow=True)
    draw = ExpertDraw.objects.get()
    page = text(r)
    assert draw.seed in page and "顺序已按种子复核" in page
    assert "吴工" in page and "与涉事企业同一单位" in page
    assert page.count("登记拒绝并替补") == 3
    r = c.post(f"/experts/cases/{case.pk}/draw/", {"size": "3", "match": "any"}, follow=True)
    assert ExpertDraw.objects.count() == 1

    # staff record a decline on the expert's behalf: the replacement appears
    first = draw.members.get(position=1)
    r = c.post(
        f"/experts/drawn/{first.pk}/respond/",
        {"decision": "decline", "reason": "电话告知出差"},
        follow=True,
    )
    assert "由" in text(r) and "替补" in text(r)
    assert draw.members.filter(status="drawn").count() == 3


def test_an_expert_rates_on_their_page(dana: User, case: Any, panel: list[Expert]) -> None:
    draw = draw_experts(case, dana, size=3, seed=1)
    member = draw.members.get(position=1)
    c = logged_in(member.expert.user)
    mine = text(c.get("/experts/mine/"))
    assert f"/experts/mine/{member.pk}/" in mine and "待评分" in mine
    url = f"/experts/mine/{member.pk}/"
    page = text(c.get(url))
    descriptions = [s["description"] for s in case_steps(case)]
    assert all(d in page for d in descriptions)
    form = {
        "severity": "3",
        "step-0-description": descriptions[0],
        "step-0-probability": "1/2",
        "step-1-description": descriptions[1],
        "step-1-probability": "0.1",
        "step-2-description": descriptions[2],
        "step-2-probability": "1%",
        "stated_level": "",
        "suggestions": "建议责令召回",
    }
    r = c.post(url, {**form, "preview": "1"})
    assert r.status_code == 200 and "计算等级" in text(r) and "高风险" in text(r)
    assert not ExpertRating.objects.exists()  # a preview saves nothing

    r = c.post(url, {**form, "step-1-probability": "2"})
    assert "概率应大于0且不超过1" in text(r) and not ExpertRating.objects.exists()

    r = c.post(url, {**form, "submit": "1"}, follow=True)
    rating = ExpertRating.objects.get()
    assert (rating.computed_level, rating.suggestions) == ("high", "建议责令召回")
    assert rating.steps[0]["probability"] == 0.5 and "已提交" in text(r)


def test_an_expert_declines_on_their_page(dana: User, case: Any, panel: list[Expert]) -> None:
    draw = draw_experts(case, dana, size=2, seed=1)
    member = draw.members.get(position=1)
    c = logged_in(member.expert.user)
    r = c.post(
        f"/experts/drawn/{member.pk}/respond/",
        {"decision": "decline", "reason": "曾为涉事企业做过检测"},
        follow=True,
    )
    assert r.redirect_chain[-1][0] == "/experts/mine/"
    member.refresh_from_db()
    assert member.status == "replaced"
    assert "已拒绝" in text(r)


def test_the_panel_shows_the_spread_and_starts_a_second_round(
    dana: User, case: Any, panel: list[Expert]
) -> None:
    draw = draw_experts(case, dana, size=3, seed=1)
    steps = case_steps(case)
    for member, (severity, p) in zip(
        draw.members.order_by("position"), ((2, 0.01), (3, 0.5), (3, 0.1)), strict=True
    ):
        submit_rating(
            case,
            member.expert.user,
            severity=severity,
            steps=[
                {"description": s["description"], "probability": q}
                for s, q in zip(steps, (p, 0.1, 0.01), strict=True)
            ],
            comment="意见" if severity == 2 else "",
        )
    c = logged_in(dana)
    r = c.post(f"/experts/cases/{case.pk}/aggregate/", follow=True)
    page = text(r)
    assert "已汇总专家评估" in page and "分歧较大" in page and "开展第2轮评估" in page
    assert "不同意见" in page and "对数中位数" in page
    r = c.post(f"/experts/cases/{case.pk}/next-round/", follow=True)
    assert RatingRound.objects.filter(case=case).count() == 2
    assert "第2轮评分" in text(r)
    # the experts see the first round's summary without names
    first = draw.members.get(position=1)
    page = text(logged_in(first.expert.user).get(f"/experts/mine/{first.pk}/"))
    assert "第1轮专家评估汇总（匿名）" in page
    for other in draw.members.exclude(pk=first.pk):
        assert other.expert.name not in page


def test_the_admin_shows_the_records_and_audits_changes(
    dana: User, case: Any, panel: list[Expert]
) -> None:
    draw_experts(case, dana, size=2, seed=1)
    root = User.objects.create_superuser("root", password="correct-horse-battery")
    c = logged_in(root)
    for url in (
        "/admin/experts/expert/",
        "/admin/experts/expertdraw/",
        f"/admin/experts/expertdraw/{ExpertDraw.objects.get().pk}/change/",
        "/admin/experts/ratinground/",
        "/admin/experts/expertrating/",
    ):
        assert c.get(url).status_code == 200, url
    expert = panel[0]
    page = c.get(f"/admin/experts/expert/{expert.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        name=expert.name,
        title="研究员",
        user=str(expert.user_id),
        product_families=[str(c.pk) for c in expert.product_families.all()],
        hazards=[str(h.pk) for h in expert.hazards.all()],
        conflict_enterprises=[],
        disciplines="[]",
    )
    r = c.post(f"/admin/experts/expert/{expert.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    expert.refresh_from_db()
    assert expert.title == "研究员"
    event = AuditEvent.objects.filter(action="update_expert").latest("id")
    assert event.actor == root and "职称" in event.message
