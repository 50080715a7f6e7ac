"""Choices of the supervision app, taken from the core so that labels live in one place."""

from __future__ import annotations

from django.db import models

from pqrisk.core.supervision.grading import Grade, ProductTier
from pqrisk.core.supervision.measures import MeasureKind
from pqrisk.core.supervision.triggers import RULE_LABELS

GRADE_CHOICES = Grade.choices()
TIER_CHOICES = ProductTier.choices()
MEASURE_CHOICES = MeasureKind.choices()
RULE_CHOICES = [(str(rule), label) for rule, label in RULE_LABELS.items()]


class InspectionStatus(models.TextChoices):
    OPEN = "open", "待检查"
    DONE = "done", "已检查"
    CANCELLED = "cancelled", "已撤销"
