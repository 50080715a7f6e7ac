from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "pqrisk.exchange"
    verbose_name = "数据交换与长三角共享"

    def ready(self) -> None:
        from pqrisk.audit import labels

        from .choices import ACTION_LABELS, PackageStatus

        states = dict(PackageStatus.choices)
        labels.register("exchange.exchangepackage", actions=ACTION_LABELS, states=states)
        labels.register("exchange.partner", actions=ACTION_LABELS)
        labels.register("exchange.export", actions={"export": "导出交换文件"})
