from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "pqrisk.assessment"
    verbose_name = "风险评估"
