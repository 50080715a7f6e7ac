from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "pqrisk.dashboard"
    label = "dashboard"
    verbose_name = "综合看板"
