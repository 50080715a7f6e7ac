from django.apps import AppConfig


class WarningsConfig(AppConfig):
    name = "pqrisk.warnings"
    label = "warnings"
    verbose_name = "风险预警"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        register(
            "warnings.warning",
            actions={
                "remind": "发布时限提醒",
                "overdue": "逾期未发布提醒",
                "update": "更新（新版本）",
                "acknowledge": "确认收到",
                "add_recipient": "添加行业警示对象",
                "deliver": "风险警示已送达",
                "deliver_failed": "风险警示送达失败",
                "read_receipt": "阅读回执",
                "resend": "重新发送风险警示",
                "add_photo": "上传产品图片",
                "remove_photo": "删除产品图片",
                "target": "指定预警对象",
            },
        )
