from pqrisk.notifications.tests.helpers import endpoint, frank, mail_settings

__all__ = ["endpoint", "frank", "mail_settings"]
