from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "pqrisk.supervision"
    label = "supervision"
    verbose_name = "信用风险分级分类监管"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        register("supervision.creditgrade", actions={"grade": "信用风险分级"})
        register("supervision.spotcheckplan", actions={"create": "生成抽查计划"})
        register(
            "supervision.inspectiontask",
            actions={"create": "触发检查任务", "close": "完成检查", "cancel": "撤销检查任务"},
            states={"open": "待检查", "done": "已检查", "cancelled": "已撤销"},
        )
        register("supervision.supervisionmeasure", actions={"create": "记录监管措施"})
