from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "pqrisk.experts"
    verbose_name = "专家库与专家评估"

    def ready(self) -> None:
        from pqrisk.assessment.report import ReportSection, register_section
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS
        from .report import expert_rows

        # Draws, ratings and aggregation are audited on the case and on the expert.
        register("assessment.assessmentcase", actions=ACTION_LABELS)
        register("experts.expert", actions=ACTION_LABELS)
        register_section(ReportSection(40, "专家评估", expert_rows))
