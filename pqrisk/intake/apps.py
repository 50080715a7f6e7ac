from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "pqrisk.intake"
    verbose_name = "风险信息采集"
