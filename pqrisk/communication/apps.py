from django.apps import AppConfig


class CommunicationConfig(AppConfig):
    name = "pqrisk.communication"
    label = "communication"
    verbose_name = "风险交流"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS

        register("communication.communicationactivity", actions=ACTION_LABELS)
