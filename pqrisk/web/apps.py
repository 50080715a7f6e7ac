from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pqrisk.web"
    verbose_name = "门户"
