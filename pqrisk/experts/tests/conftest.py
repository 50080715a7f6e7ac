"""Fixtures of the expert stories: a heater-fire case against 上海晶澜电器有限公司, opened by
dana (评估中心) from a screened complaint, and experts registered in the library.

Expert users (role 专家) are made with ``conftest.make_user``: erin, frank, grace, henry …
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.assessment.cases import act_on_case, open_case
from pqrisk.assessment.models import AssessmentCase
from pqrisk.core.uscc import complete_uscc
from pqrisk.enterprises.models import Enterprise
from pqrisk.experts.models import Expert
from pqrisk.experts.services import register_expert
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.tests import records

PUDONG = "310115"
FIRE = "浦东新区居民投诉：晶澜牌取暖器使用中外壳过热起火，烧毁窗帘，请求调查处理。"
KETTLE = "嘉定区居民投诉：某品牌电热水壶使用中漏电，手被电击，请求调查处理。"
MAKER = "上海晶澜电器有限公司"
APPLIANCES = "01"  # 家用电器, the family of 电暖器 (010302)

_seq = iter(range(1, 10_000))


def screened(*texts: str) -> list[RiskInfo]:
    """Risk information from complaints, screened as the pipeline does (newest first)."""
    first = next(_seq)
    infos = records.screened(
        *(
            records.complaint(f"X-{first}-{n}", text, occurred_at=f"2026-03-0{n + 1}")
            for n, text in enumerate(texts)
        )
    )
    return infos[::-1]


def new_case(user: User, text: str = FIRE, enterprise: Enterprise | None = None) -> AssessmentCase:
    """A case in 评估中 (assessing) from one screened complaint."""
    case = open_case(user, risk_infos=screened(text))
    if enterprise is not None:
        case.enterprise = enterprise
        case.save(update_fields=["enterprise"])
    act_on_case(case, "start", user)
    return case


def add_expert(
    by: User,
    name: str,
    *,
    organisation: str = "上海市质量监督检验技术研究院",
    families: Iterable[str] = (APPLIANCES,),
    hazards: Iterable[str] = ("fire",),
    account: User | None = None,
    **fields: Any,
) -> Expert:
    return register_expert(
        by,
        name=name,
        organisation=organisation,
        product_families=list(ProductCategory.objects.filter(code__in=list(families))),
        hazards=list(HazardType.objects.filter(code__in=list(hazards))),
        account=account,
        **fields,
    )


def expert_user(username: str) -> User:
    return make_user(username, Role.EXPERT)


@pytest.fixture
def maker(db: Any) -> Enterprise:
    return Enterprise.objects.create(
        uscc=complete_uscc("91310115MA1K00001"),
        name=MAKER,
        district=District.objects.get(code=PUDONG),
    )


@pytest.fixture
def case(dana: User, maker: Enterprise) -> AssessmentCase:
    return new_case(dana, FIRE, maker)


@pytest.fixture
def panel(dana: User) -> list[Expert]:
    """Five experts with logins, all fit for the heater case."""
    return [
        add_expert(dana, name, account=expert_user(login))
        for name, login in (
            ("王工", "erin"),
            ("李工", "frank"),
            ("张工", "grace"),
            ("赵工", "henry"),
            ("陈工", "irene"),
        )
    ]
