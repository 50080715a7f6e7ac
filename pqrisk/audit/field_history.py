"""django-auditlog installed under a Chinese name: the admin lists it as 字段变更日志 next to
our own 审计日志 (``INSTALLED_APPS`` names this config instead of ``"auditlog"``)."""

from auditlog.apps import AuditlogConfig


class FieldHistoryConfig(AuditlogConfig):
    verbose_name = "字段变更日志"
