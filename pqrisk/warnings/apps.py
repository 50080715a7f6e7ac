from django.apps import AppConfig


class WarningsConfig(AppConfig):
    name = "pqrisk.warnings"
    label = "warnings"
    verbose_name = "风险预警"
