from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "pqrisk.experts"
    verbose_name = "专家库与专家评估"
