from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "pqrisk.meetings"
    verbose_name = "会商研判"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS, MEETING_MACHINE

        register("meetings.meeting", actions=ACTION_LABELS, states=MEETING_MACHINE.states)
