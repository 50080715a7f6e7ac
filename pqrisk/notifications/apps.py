from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "pqrisk.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        register(
            "notifications.inboxentry",
            actions={"read": "标为已读", "read_all": "全部标为已读"},
        )
        register(
            "notifications.delivery",
            actions={
                "deliver_failed": "消息外发失败",
                "retry": "重新外发消息",
            },
        )
        register("notifications.preference", actions={"email_preference": "设置邮件提醒"})
