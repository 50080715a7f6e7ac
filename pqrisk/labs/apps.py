from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "pqrisk.labs"
    verbose_name = "实验室风险评估"

    def ready(self) -> None:
        from pqrisk.assessment.report import ReportSection, register_section
        from pqrisk.audit.labels import register
        from pqrisk.core.assessment.lab import LAB_TASK_MACHINE, LEAD_MACHINE

        from .choices import ACTION_LABELS
        from .report import lab_rows

        register("labs.samplingtask", actions=ACTION_LABELS, states=LAB_TASK_MACHINE.states)
        register("labs.violationlead", actions=ACTION_LABELS, states=LEAD_MACHINE.states)
        register_section(ReportSection(50, "实验室检验", lab_rows))
