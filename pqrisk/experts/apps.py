from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "pqrisk.experts"
    verbose_name = "专家库与专家评估"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS

        # Draws, ratings and aggregation are audited on the case and on the expert.
        register("assessment.assessmentcase", actions=ACTION_LABELS)
        register("experts.expert", actions=ACTION_LABELS)
