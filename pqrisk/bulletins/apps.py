from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "pqrisk.bulletins"
    label = "bulletins"
    verbose_name = "产品质量安全资讯"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import ACTION_LABELS, BulletinStatus

        register(
            "bulletins.bulletin",
            actions=ACTION_LABELS,
            states=dict(BulletinStatus.choices),
        )
