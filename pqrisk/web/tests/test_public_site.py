"""The public site (消费风险提示): anyone may read published consumer advisories, search and
filter them, and nothing internal ever shows — not on a page, a photo, a feed or the public API.

The story: the bureau has published one consumer advisory about 暖居 kettles; around it lie a
draft, one in review, one approved but not yet published, a lifted one, a published internal
notice (风险通报) and a published industry warning (风险警示), with reasons, 文号, evidence
naming an enterprise, photos and the names of the staff who drafted and approved them.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from conftest import JIADING, PUDONG, make_user
from pqrisk.accounts.choices import Role
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.warnings import identification as ident
from pqrisk.warnings.models import Warning
from pqrisk.web.public import PAGE_SIZE, PUBLIC_MAX_AGE

from . import factories as f
from .test_pages import login

pytestmark = pytest.mark.django_db

ADVISORY = (WarningMode.CONSUMER_ADVISORY,)
# Internal words: none of them may reach the public.
SECRET_ENTERPRISE = "秘密制造电器有限公司"
DOC_NUMBER = "沪市监产质〔2026〕88号"
REASON = "定级理由：三起触电致伤"
STAFF_NAME = "王审批"
DRAFTER_NAME = "李起草"
LIFT_REASON = "企业已全部召回，解除理由内部"
UNPUBLISHED_TITLES = {
    "draft": "草稿中的取暖器提示",
    "in_review": "待审批的电吹风提示",
    "approved": "已批准未发布的插线板提示",
    "lifted": "已解除的充电宝提示",
}
INTERNAL_TITLES = {
    WarningMode.INTERNAL_NOTICE: "燃气灶具内部风险通报",
    WarningMode.INDUSTRY_WARNING: "电动车电池行业风险警示",
}


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(out, format="PNG")
    return SimpleUploadedFile("内部文件名-秘密.png", out.getvalue(), content_type="image/png")


def _internal_details(w: Warning, drafter: Any, approver: Any) -> Warning:
    w.reasons = [REASON]
    w.document_numbers = {m: DOC_NUMBER for m in w.modes}
    w.created_by, w.approved_by = drafter, approver
    w.save()
    return w


@pytest.fixture
def story(alice: Any) -> dict[str, Any]:
    drafter = make_user("drafter", Role.ANALYST)
    drafter.first_name = DRAFTER_NAME
    drafter.save()
    alice.first_name = STAFF_NAME
    alice.save()
    leaves = list(ProductCategory.objects.filter(level=3).select_related("parent")[:400])
    kettle = leaves[0]
    heater = next(c for c in leaves if c.parent_id != kettle.parent_id)
    shock, fire = HazardType.objects.order_by("code")[:2]

    evidence = f.risk_info(PUDONG, title="暖居电热水壶触电", enterprise_name=SECRET_ENTERPRISE)
    public = f.warning(evidence, WarningLevel.ORANGE, status="published", modes=ADVISORY)
    public.title = "关于暖居牌电热水壶漏电风险的消费提示"
    public.body = "部分暖居牌电热水壶存在漏电风险。"
    public.advice = "请立即停止使用并联系销售者退货。"
    public.brands, public.product_models, public.batches = "暖居", "DK-15", "2026-03"
    public.product_category, public.hazard = kettle, shock
    _internal_details(public, drafter, alice)
    public_photo = ident.add_photo(public, alice, png(), "DK-15 外观")

    hidden: dict[str, Warning] = {}
    hidden_photos = {}
    for status, title in UNPUBLISHED_TITLES.items():
        # Photos are added while a warning is live; the lifted one is lifted afterwards.
        live = "published" if status == "lifted" else status
        w = f.warning(f.risk_info(JIADING), status=live, modes=ADVISORY, title=title)
        hidden_photos[status] = ident.add_photo(w, alice, png(), f"{status}内部图片说明")
        w.product_category, w.hazard = heater, fire
        w.advice = f"{title}的建议"
        if status == "lifted":
            w.status, w.lifted_at, w.lift_reason = "lifted", timezone.now(), LIFT_REASON
        hidden[status] = _internal_details(w, drafter, alice)
    for mode, title in INTERNAL_TITLES.items():
        w = f.warning(f.risk_info(PUDONG), status="published", modes=(mode,), title=title)
        hidden_photos[mode.value] = ident.add_photo(w, alice, png(), f"{mode.value}内部图片说明")
        hidden[mode.value] = _internal_details(w, drafter, alice)
    return {
        "public": public,
        "public_photo": public_photo,
        "hidden": hidden,
        "hidden_photos": hidden_photos,
        "kettle": kettle,
        "heater": heater,
        "shock": shock,
        "fire": fire,
    }


def public_urls(story: dict[str, Any]) -> list[str]:
    """Every public address, with the filters and pages people will use."""
    public, photo = story["public"], story["public_photo"]
    listing = reverse("web:public_advisories")
    today = timezone.localdate()
    return [
        listing,
        f"{listing}?q=暖居",
        f"{listing}?q=草稿",
        f"{listing}?category={story['kettle'].pk}",
        f"{listing}?category={story['kettle'].parent_id}",
        f"{listing}?category={story['heater'].pk}",
        f"{listing}?hazard={story['shock'].pk}",
        f"{listing}?hazard={story['fire'].pk}",
        f"{listing}?since={today - timedelta(days=30)}&until={today}",
        f"{listing}?since=not-a-date&page=999",
        reverse("web:public_advisory", args=[public.pk]),
        reverse("web:public_photo", args=[public.pk, photo.pk]),
        reverse("web:advisories_rss"),
        reverse("web:advisories_atom"),
    ]


def forbidden_words(story: dict[str, Any]) -> list[str]:
    words = [SECRET_ENTERPRISE, DOC_NUMBER, REASON, STAFF_NAME, DRAFTER_NAME, LIFT_REASON]
    words += ["alice", "drafter", "定级理由", "内部文件名", "处置", "登录后"]
    words += list(UNPUBLISHED_TITLES.values()) + list(INTERNAL_TITLES.values())
    words += [f"{title}的建议" for title in UNPUBLISHED_TITLES.values()]
    words += [f"{key}内部图片说明" for key in story["hidden"]]
    return words


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# ---------------------------------------------------------------- nothing internal


def test_no_public_address_shows_anything_internal(story: dict[str, Any]) -> None:
    client = Client()
    api = client.get("/api/public/advisories")
    assert api.status_code == 200
    for url in [*public_urls(story), "/api/public/advisories"]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response).decode("utf-8", errors="replace")
        leaked = [w for w in forbidden_words(story) if w in text]
        assert not leaked, f"{url} shows {leaked}"
    # What the public page is for is there.
    page = client.get(reverse("web:public_advisory", args=[story["public"].pk])).content.decode()
    assert "暖居" in page and "DK-15" in page and "2026-03" in page
    assert "请立即停止使用" in page and story["kettle"].name in page


def test_no_internal_link_and_no_staff_navigation_on_public_pages(story: dict[str, Any]) -> None:
    client = Client()
    for url in public_urls(story)[:11]:
        html = client.get(url).content.decode()
        assert 'name="viewport"' in html and "css/public.css" in html
        for internal in ("/warnings/", "/risk-infos/", "/tasks/", "/cases/", "/audit/", "/admin/"):
            assert f'href="{internal}' not in html, (url, internal)
        assert "csrfmiddlewaretoken" not in html and 'method="post"' not in html
        assert reverse("accounts:login") in html  # the small staff link, and nothing more


def test_unpublished_and_internal_warnings_are_404_and_so_are_their_photos(
    story: dict[str, Any],
) -> None:
    client = Client()
    public = story["public"]
    for key, w in story["hidden"].items():
        photo = story["hidden_photos"][key]
        for url in (
            reverse("web:public_advisory", args=[w.pk]),
            reverse("web:public_photo", args=[w.pk, photo.pk]),
            # A hidden photo is not reachable through the published advisory either.
            reverse("web:public_photo", args=[public.pk, photo.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 404, (key, url)
            assert not response.cookies and "public" not in response["Cache-Control"]
            text = response.content.decode()
            assert w.title not in text and f"{key}内部图片说明" not in text
    missing = client.get(reverse("web:public_advisory", args=[999_999]))
    assert missing.status_code == 404 and "没有找到这条消费风险提示" in missing.content.decode()
    assert not client.cookies


def test_lifting_an_advisory_takes_it_off_the_site(story: dict[str, Any]) -> None:
    public = story["public"]
    Warning.objects.filter(pk=public.pk).update(status="lifted", lift_reason=LIFT_REASON)
    client = Client()
    assert client.get(reverse("web:public_advisory", args=[public.pk])).status_code == 404
    photo_url = reverse("web:public_photo", args=[public.pk, story["public_photo"].pk])
    assert client.get(photo_url).status_code == 404
    listing = client.get(reverse("web:public_advisories")).content.decode()
    assert public.title not in listing and "目前没有发布中的消费风险提示" in listing


# ---------------------------------------------------------------- cookies and caching


def test_anonymous_visitors_get_no_cookie_and_cacheable_pages(story: dict[str, Any]) -> None:
    client = Client()
    for url in public_urls(story):
        response = client.get(url)
        assert not response.cookies, f"{url} sets {list(response.cookies)}"
        assert "Set-Cookie" not in response.headers
        cache = response["Cache-Control"]
        assert "public" in cache and f"max-age={PUBLIC_MAX_AGE}" in cache, url
        assert "Cookie" not in response.get("Vary", ""), url
    assert not client.cookies


def test_a_signed_in_officer_sees_the_same_public_page_without_a_new_cookie(
    story: dict[str, Any], bob: Any
) -> None:
    client = login(Client(), bob)
    client.cookies.pop("csrftoken", None)
    url = reverse("web:public_advisory", args=[story["public"].pk])
    response = client.get(url)
    assert response.status_code == 200 and not response.cookies
    assert "bob" not in response.content.decode()
    assert response.content == Client().get(url).content


def test_a_404_is_not_cached_as_public(story: dict[str, Any]) -> None:
    response = Client().get(reverse("web:public_advisory", args=[story["hidden"]["draft"].pk]))
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


# ---------------------------------------------------------------- search and filters


def _titles(url: str) -> str:
    return Client().get(url).content.decode()


def test_search_by_keyword_category_hazard_and_dates(story: dict[str, Any]) -> None:
    listing = reverse("web:public_advisories")
    title = story["public"].title
    assert title in _titles(f"{listing}?q=DK-15")  # the model number is searchable
    assert title in _titles(f"{listing}?q=漏电")
    assert title not in _titles(f"{listing}?q=取暖器")
    # A family finds the advisories of the products below it.
    assert title in _titles(f"{listing}?category={story['kettle'].parent_id}")
    assert title in _titles(f"{listing}?category={story['kettle'].pk}")
    assert title in _titles(f"{listing}?hazard={story['shock'].pk}")
    published = timezone.localdate(story["public"].published_at)
    assert title in _titles(f"{listing}?since={published}&until={published}")
    empty = _titles(f"{listing}?since={published + timedelta(days=1)}")
    assert title not in empty and "没有符合条件的消费风险提示" in empty


def test_the_filters_offer_only_what_published_advisories_use(story: dict[str, Any]) -> None:
    html = _titles(reverse("web:public_advisories"))
    assert f'value="{story["kettle"].pk}"' in html and story["shock"].name in html
    # The hidden warnings' category and hazard are not offered (nor can they be chosen).
    assert f'<option value="{story["heater"].pk}"' not in html
    assert f'<option value="{story["fire"].pk}"' not in html


def test_a_reversed_date_range_says_so_and_shows_everything(story: dict[str, Any]) -> None:
    html = _titles(f"{reverse('web:public_advisories')}?since=2026-05-01&until=2026-04-01")
    assert "起始日期晚于结束日期" in html and story["public"].title in html


def test_pages_keep_the_search(story: dict[str, Any]) -> None:
    for n in range(PAGE_SIZE + 3):
        w = f.warning(
            f.risk_info(PUDONG), status="published", modes=ADVISORY, title=f"暖居电暖器提示{n}"
        )
        Warning.objects.filter(pk=w.pk).update(
            published_at=timezone.now() - timedelta(minutes=n + 1)
        )
    listing = reverse("web:public_advisories")
    first = _titles(f"{listing}?q=暖居")
    assert "第 1 / 2 页" in first and "q=%E6%9A%96%E5%B1%85&amp;page=2" in first
    second = _titles(f"{listing}?q=暖居&page=2")
    assert "暖居电暖器提示22" in second and "暖居电暖器提示0" not in second
