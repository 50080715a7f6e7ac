from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "pqrisk.meetings"
    verbose_name = "会商研判"

    def ready(self) -> None:
        from pqrisk.assessment.report import ReportSection, register_section
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS, MEETING_MACHINE
        from .report import meeting_rows

        register("meetings.meeting", actions=ACTION_LABELS, states=MEETING_MACHINE.states)
        register_section(ReportSection(60, "会商研判", meeting_rows))
