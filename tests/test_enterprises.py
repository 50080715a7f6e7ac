"""Enterprise registration: valid rows are registered, invalid ones kept in quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pqrisk.cli import main
from pqrisk.core.uscc import complete_uscc
from pqrisk.enterprises.models import Enterprise
from pqrisk.enterprises.services import upsert_enterprises
from pqrisk.intake.models import QuarantinedItem

pytestmark = pytest.mark.django_db

GOOD = complete_uscc("91310112MA1H00002")


def test_register_update_and_quarantine() -> None:
    rows = [
        {
            "uscc": GOOD,
            "name": "上海闵行示例电器有限公司",
            "district_code": "310112",
            "product_codes": ["010101", "no-such-code"],
            "licensed": True,
        },
        {"uscc": GOOD[:-1] + "I", "name": "坏代码公司", "district_code": "310112"},
        {"uscc": complete_uscc("91310112MA1H00003"), "name": "无区公司", "district_code": "火星"},
    ]
    result = upsert_enterprises(rows, source_label="名录")
    assert (result.created, result.updated, result.quarantined) == (1, 0, 2)
    ent = Enterprise.objects.get(uscc=GOOD)
    assert ent.district.name == "闵行区"
    assert list(ent.products.values_list("code", flat=True)) == ["010101"]
    reasons = set(QuarantinedItem.objects.values_list("reason", flat=True))
    assert reasons == {"invalid_uscc", "unknown_district"}

    again = upsert_enterprises(
        [{**rows[0], "name": "上海闵行示例电器股份有限公司"}], source_label="名录"
    )
    assert (again.created, again.updated) == (0, 1)
    assert Enterprise.objects.get(uscc=GOOD).name.endswith("股份有限公司")


def test_cli_loads_a_chinese_csv_extract(tmp_path: Path) -> None:
    path = tmp_path / "名录.csv"
    path.write_text(
        "统一社会信用代码,企业名称,所属区,地址,法定代表人\n"
        f"{GOOD},上海示例玩具厂,浦东,上海市浦东新区川沙路1号,张三\n"
        "91310115XXXXXXXXXX,坏公司,浦东,,\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(main, ["load-enterprises", str(path)])
    assert out.exit_code == 0, out.output
    assert "新增 1" in out.output and "隔离 1" in out.output
    ent = Enterprise.objects.get(uscc=GOOD)
    assert (ent.address, ent.legal_representative) == ("上海市浦东新区川沙路1号", "张三")
    assert QuarantinedItem.objects.get().reason == "invalid_uscc"


def test_unreadable_extract_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "{broken\n" + json.dumps({"uscc": GOOD, "name": "甲", "district": "黄浦"}) + "\n"
    )
    out = CliRunner().invoke(main, ["load-enterprises", str(path)])
    assert out.exit_code == 0
    assert QuarantinedItem.objects.get().location == "bad.jsonl:1"
    assert Enterprise.objects.filter(uscc=GOOD).exists()
