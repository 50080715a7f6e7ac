"""Risk judgement of a case: its facts from the database, the model's suggestion, experts'
overrides with reasons (kept as training data), roles, audit."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.timezone import localtime

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.assessment.cases import CaseError, act_on_case, open_case
from pqrisk.assessment.judgement import (
    DatabaseHistory,
    MemoryHistory,
    case_facts,
    export_overrides,
    override,
    override_rows,
    suggest,
)
from pqrisk.assessment.models import AssessmentCase, JudgementOverride
from pqrisk.audit.models import AuditEvent
from pqrisk.core.assessment.judgement import default_model, examples_from_overrides
from pqrisk.enterprises.models import Enterprise
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.tests.records import screened
from pqrisk.web.tests.factories import enterprise

pytestmark = pytest.mark.django_db

BATTERY = "030102"  # 电动自行车用锂离子蓄电池
BATTERY_TEXT = "电动自行车用锂离子蓄电池过充电保护不合格，存在起火燃烧风险。"


@pytest.fixture
def erin(db: Any) -> User:
    """An expert (专家)."""
    return make_user("erin", Role.EXPERT)


def _maker(ent: Enterprise, external_id: str, day: str, source: str, **fields: Any) -> dict:
    record: dict[str, Any] = {
        "source": source,
        "external_id": external_id,
        "occurred_at": day,
        "title": "",
        "text": BATTERY_TEXT,
        "enterprise_uscc": ent.uscc,
        "enterprise_name": ent.name,
        "district": "嘉定区",
        "product_name": "电动自行车用锂离子蓄电池",
        "product_code": BATTERY,
        "details": {},
    }
    record.update(fields)
    return record


def _battery_case(user: User) -> tuple[AssessmentCase, list[RiskInfo], Enterprise]:
    """A battery maker with an earlier penalty and failed check; then, in June, a failed
    spot check, a complaint, an injury report and a reposted news story about its batteries."""
    ent = enterprise("310114", "上海示例电源科技有限公司")
    earlier = screened(
        _maker(ent, "CF-1", "2026-01-10", "penalty", title="行政处罚决定书",
               text="当事人生产的电动自行车用锂离子蓄电池过充电保护不合格，罚款5万元。",
               details={"case_no": "沪市监嘉处〔2026〕1号", "violation": "生产不合格产品"}),
        _maker(ent, "CC-1", "2026-02-01", "spot_check", title="监督抽查不合格",
               text="2月抽查：该企业生产的电动自行车用锂离子蓄电池针刺项目不合格，有起火风险。",
               details={"conclusion": "不合格", "failed_items": ["针刺"]}),
    )  # fmt: skip
    june = screened(
        _maker(ent, "CC-2", "2026-06-12", "spot_check", title="监督抽查不合格",
               text="6月市监督抽查：电动自行车用锂离子蓄电池过充电保护项目不合格，存在起火燃烧风险。",
               details={"conclusion": "不合格", "failed_items": ["过充电保护"]}),
        _maker(ent, "TS-1", "2026-06-13", "complaint",
               text="嘉定区居民投诉：示例牌电动自行车锂电池充电时冒烟起火，烧坏了车棚。"),
        _maker(ent, "SH-1", "2026-06-14", "injury", title="伤害监测报告",
               text="患者，男，40岁。电动自行车锂电池充电时起火，致手部烧烫伤，急诊处理。",
               details={"severity": 2, "injury_type": "烧烫伤"}),
        _maker(ent, "MT-1", "2026-06-15", "media", title="嘉定一小区电瓶车电池起火",
               text="嘉定区一小区内电动自行车锂电池充电时起火，所幸无人受伤。",
               details={"site": "澎湃新闻", "reposts": 120}),
    )  # fmt: skip
    assert all(i.product_category and i.product_category.code == BATTERY for i in june)
    case = open_case(user, risk_infos=june)
    return case, earlier + june, ent


def _actions(case: AssessmentCase) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="assessment.assessmentcase", object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_the_facts_of_a_case_come_from_its_items_and_the_history_around_them(dana: User) -> None:
    case, _, _ = _battery_case(dana)
    f = case_facts(case)
    assert len(f.items) == 4 and len(f.originals) == 4
    assert f.hazard_code == "fire" and f.hazard_severity == 4
    assert f.source_kinds == ("complaint", "injury", "media", "spot_check")
    assert f.injuries == 1
    assert f.safety_check_failures == 1
    assert f.media_items == 1 and f.reposts == 120
    # The enterprise's earlier penalty and failed check; the case's own check is not history.
    assert (f.enterprise_penalties, f.enterprise_failed_checks) == (1, 1)
    assert f.family_failures_12m == 1  # the February check of the same product class
    # Risk items of this product and hazard (fire) in the last 14 days: the June check,
    # complaint and story (the injury report was tagged burns).
    assert f.items_last_14d == 3 and f.items_prior_14d == 0
    assert f.as_of is not None and localtime(f.as_of).date().isoformat() == "2026-06-15"
    assert f.matrix_level is not None  # the items' first assessments


def test_the_database_and_the_in_memory_history_give_the_same_facts(dana: User) -> None:
    case, _, _ = _battery_case(dana)
    assert case_facts(case, DatabaseHistory()) == case_facts(case, MemoryHistory())


def test_suggest_fills_the_model_suggestion_and_audits_it(dana: User) -> None:
    case, _, _ = _battery_case(dana)
    judgement = suggest(case, dana)
    case.refresh_from_db()
    s = case.model_suggestion
    assert s["level"] == judgement.level.value and s["version"] == default_model().version
    assert set(s) >= {"probabilities", "contributions", "rules", "features", "facts", "score"}
    assert abs(sum(c["contribution"] for c in s["contributions"]) - s["score"]) < 1e-3
    # A failed safety check and an injury: the guidance's floor holds it at high or above.
    assert "confirmed_defect_with_injury" in {h["code"] for h in s["rule_hits"]}
    assert judgement.level.rank >= 3
    assert _actions(case) == ["open", "suggest"]
    event = AuditEvent.objects.get(action="suggest")
    assert event.actor == dana and event.to_state == s["level"]
    assert default_model().version in event.message


def test_the_system_may_suggest_without_a_user_but_others_may_not(
    dana: User, bob: User, eve: User
) -> None:
    case, _, _ = _battery_case(dana)
    suggest(case)
    assert AuditEvent.objects.get(action="suggest").actor_label == "系统"
    for outsider in (bob, eve):
        with pytest.raises(PermissionDenied):
            suggest(case, outsider)


def test_a_case_without_items_or_closed_cannot_be_judged(dana: User, alice: User) -> None:
    bare = open_case(dana, signal={"kind": "ears", "product": BATTERY})
    with pytest.raises(CaseError, match="没有关联风险信息"):
        suggest(bare, dana)
    case, _, _ = _battery_case(dana)
    act_on_case(case, "cancel", alice, note="重复立项")
    with pytest.raises(CaseError, match="不能再进行模型研判"):
        suggest(case, dana)


def test_an_expert_overrides_with_a_reason_kept_as_training_data(dana: User, erin: User) -> None:
    case, _, _ = _battery_case(dana)
    suggested = suggest(case, dana).level
    new = "serious" if suggested.value != "serious" else "high"
    row = override(case, erin, level=new, reason="  同型号电池全国已有致死案例  ")
    assert row.reason == "同型号电池全国已有致死案例" and row.user == erin
    assert (row.suggested_level, row.level) == (suggested.value, new)
    assert row.model_version == default_model().version
    assert row.features["facts"]["items"] and row.features["values"]["item_count"] > 0
    audit = AuditEvent.objects.get(action="override")
    assert (audit.from_state, audit.to_state) == (suggested.value, new)
    assert "同型号电池" in audit.message and audit.actor == erin
    # Kept as training data: the rows give a weighted example with the case's facts.
    examples = examples_from_overrides(override_rows())
    assert len(examples) == 1 and examples[0].level.value == new
    assert examples[0].facts is not None and len(examples[0].facts.items) == 4
    out = io.StringIO()
    assert export_overrides(out) == 1
    line = json.loads(out.getvalue())
    assert line["level"] == new and line["case"] == case.code and line["reason"] == row.reason


def test_an_override_needs_a_reason_a_level_and_a_suggestion(dana: User, erin: User) -> None:
    case, _, _ = _battery_case(dana)
    with pytest.raises(CaseError, match="请先运行模型研判"):
        override(case, erin, level="low", reason="x")
    suggested = suggest(case, dana).level.value
    other = "low" if suggested != "low" else "medium"
    with pytest.raises(CaseError, match="须填写理由"):
        override(case, erin, level=other, reason="   ")
    with pytest.raises(CaseError, match="未知的风险等级"):
        override(case, erin, level="purple", reason="理由")
    with pytest.raises(CaseError, match="无需改定"):
        override(case, erin, level=suggested, reason="同意")
    assert not JudgementOverride.objects.exists()
    assert "override" not in _actions(case)


def test_only_the_assessment_centre_city_bureau_and_experts_override(
    dana: User, alice: User, erin: User, bob: User, eve: User
) -> None:
    case, _, _ = _battery_case(dana)
    suggested = suggest(case, dana).level.value
    other = "low" if suggested != "low" else "medium"
    for outsider in (bob, eve):
        with pytest.raises(PermissionDenied):
            override(case, outsider, level=other, reason="理由")
    for insider in (dana, alice, erin):
        override(case, insider, level=other, reason=f"{insider.username} 的理由")
    assert JudgementOverride.objects.filter(case=case).count() == 3


def test_overrides_are_exported_from_the_command_line(dana: Any, tmp_path: Any) -> None:
    import json as json_lib

    from click.testing import CliRunner

    from pqrisk.assessment.cases import open_case
    from pqrisk.assessment.judgement import override, suggest
    from pqrisk.cli import main
    from pqrisk.screening.tests.records import complaint, screened

    infos = screened(complaint("O-1", "浦东新区居民投诉：取暖器使用中外壳过热起火，烧毁窗帘。"))
    case = open_case(dana, risk_infos=infos)
    suggest(case, dana)
    case.refresh_from_db()
    other = "serious" if case.model_suggestion["level"] != "serious" else "low"
    override(case, dana, level=other, reason="检验确认电源线绝缘失效")
    out = tmp_path / "overrides.jsonl"
    result = CliRunner().invoke(main, ["export-overrides", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json_lib.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 1 and rows[0]["level"] == other and rows[0]["case"] == case.code
