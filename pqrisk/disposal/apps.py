from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "pqrisk.disposal"
    verbose_name = "风险处置"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        register(
            "disposal.disposaltask",
            actions={
                "dispatch": "下达处置任务",
                "start": "开始处置",
                "complete": "处置完成",
                "report": "提交处置报告",
                "close": "办结",
                "reopen": "重新处置",
                "escalate": "逾期督办",
                "remind": "时限提醒",
                "reassign": "改派",
                "add_route": "增加处置路径",
                "route_done": "联动事项办结",
                "route_note": "联动事项进展",
                "follow_up": "跟踪检查",
                "recall_progress": "召回进度",
                "route_overdue": "联动事项逾期",
            },
        )
        register(
            "warnings.warning",
            actions={
                "track": "纳入跟踪监测",
                "tracking_check": "跟踪检查",
                "tracking_due": "跟踪监测到期",
                "disposal_feedback": "处置反馈",
                "raise_requested": "建议提高预警等级",
            },
        )
        register("screening.event", actions={"disposal_feedback": "处置反馈"})
