from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "pqrisk.ops"
    verbose_name = "运行维护"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS, DeadLetterStatus

        register("ops.deadletter", actions=ACTION_LABELS, states=dict(DeadLetterStatus.choices))
