"""Assessment choices. Risk levels live in the domain core with their labels and colours."""

from django.db import models

from pqrisk.core.levels import Attention, RiskLevel

RISK_LEVEL_CHOICES = RiskLevel.choices()
ATTENTION_CHOICES = Attention.choices()


class AssessmentMethod(models.TextChoices):
    MATRIX_AUTO = "matrix_auto", "风险矩阵（系统初评）"
    MATRIX_MANUAL = "matrix_manual", "风险矩阵（人工评估）"


class EvidenceQuality(models.TextChoices):
    HIGH = "high", "充分（检验报告/伤害病例）"
    MEDIUM = "medium", "一般（多来源一致）"
    LOW = "low", "薄弱（单一来源/未核实）"


class CaseStatus(models.TextChoices):
    """States of ``pqrisk.core.workflow.CASE_MACHINE`` (labels from there)."""

    OPENED = "opened", "已立项"
    ASSESSING = "assessing", "评估中"
    EXPERT_REVIEW = "expert_review", "专家评估"
    CONSULTATION = "consultation", "会商研判"
    CONCLUDED = "concluded", "已结论"
    CANCELLED = "cancelled", "已撤销"


class CaseOrigin(models.TextChoices):
    RISK_INFO = "risk_info", "风险信息"
    EVENT = "event", "风险事件"
    SIGNAL = "signal", "风险信号"


class EvidenceKind(models.TextChoices):
    ITEM = "item", "风险信息"
    LAB_RESULT = "lab_result", "检验结果"
    DOCUMENT = "document", "文件"
    PHOTO = "photo", "照片"


def _case_action_labels() -> dict[str, str]:
    from pqrisk.core.workflow import CASE_MACHINE

    return {
        "open": "立项",
        **CASE_MACHINE.actions,
        "add_evidence": "添加证据",
        "matrix": "风险矩阵评估",
        "suggest": "模型研判",
        "override": "改定研判建议",
    }


# Audit actions on a case as users read them.
CASE_ACTION_LABELS = _case_action_labels()
