"""Celery application. Tasks are thin: load rows, call a service, store idempotently."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")

app = Celery("pqrisk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
