from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "pqrisk.assessment"
    verbose_name = "风险评估"

    def ready(self) -> None:
        from pqrisk.audit.labels import register
        from pqrisk.core.workflow import CASE_MACHINE

        from .choices import CASE_ACTION_LABELS

        register(
            "assessment.assessmentcase", actions=CASE_ACTION_LABELS, states=CASE_MACHINE.states
        )
