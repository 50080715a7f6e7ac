from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pqrisk.audit"
    verbose_name = "审计日志"
