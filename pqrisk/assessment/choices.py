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
