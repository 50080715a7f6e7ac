from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "pqrisk.stations"
    verbose_name = "监测站"
