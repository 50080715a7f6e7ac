from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "pqrisk.labs"
    verbose_name = "实验室风险评估"
