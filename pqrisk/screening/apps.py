from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "pqrisk.screening"
    verbose_name = "信息筛查"
