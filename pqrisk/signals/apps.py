from django.apps import AppConfig


class SignalsConfig(AppConfig):
    name = "pqrisk.signals"
    label = "signals"
    verbose_name = "风险信号"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .choices import SignalStatus

        register(
            "signals.signal",
            actions={
                "detect": "检测发现信号",
                "dismiss": "排除信号",
                "open_case": "转为评估任务",
                "reopen": "重新审核",
            },
            states=dict(SignalStatus.choices),
        )
