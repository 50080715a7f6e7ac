from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "pqrisk.feeds"
    verbose_name = "舆情订阅"
