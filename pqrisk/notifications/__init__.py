"""Notifications (消息通知): an in-app inbox per user, email and webhook deliveries.

Other apps call :func:`pqrisk.notifications.services.notify`; see docs/notifications.md.
"""
