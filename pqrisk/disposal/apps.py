from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "pqrisk.disposal"
    verbose_name = "风险处置"
