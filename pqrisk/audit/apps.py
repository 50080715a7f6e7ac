from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pqrisk.audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from auditlog.signals import post_log

        from . import checks  # noqa: F401  (registers the deploy checks)
        from .attribution import remember_unattributed
        from .auditlog_registry import register_models

        register_models()
        post_log.connect(remember_unattributed, dispatch_uid="pqrisk.audit.attribution")
