"""Celery application. Tasks are thin: load rows, call a service, store idempotently.

Every task's base class is ``pqrisk.ops.base.PqriskTask``: late acknowledgement, retries of
transient errors with back-off and jitter, and a dead letter when the retries run out.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")

app = Celery("pqrisk", task_cls="pqrisk.ops.base:PqriskTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
