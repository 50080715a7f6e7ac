from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "pqrisk.meetings"
    verbose_name = "会商研判"
