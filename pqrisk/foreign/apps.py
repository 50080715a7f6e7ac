from django.apps import AppConfig


class ForeignConfig(AppConfig):
    name = "pqrisk.foreign"
    verbose_name = "境外通报"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS, AlertStatus, MatchState

        register("foreign.foreignalert", actions=ACTION_LABELS, states=dict(AlertStatus.choices))
        register("foreign.foreignmatch", actions=ACTION_LABELS, states=dict(MatchState.choices))
        register("foreign.enterprisealias", actions=ACTION_LABELS)
        register("screening.riskinfo", actions=ACTION_LABELS)
