"""Celery: broker, queues, routes and the beat schedule (imported by base.py)."""

from __future__ import annotations

import os

from celery.schedules import crontab

# Celery: eager only when no broker is configured (laptop shape) and in unit tests.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"  # settings.TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ROUTES = {
    "pqrisk.intake.*": {"queue": "intake"},
    "pqrisk.screening.*": {"queue": "screening"},
    "pqrisk.disposal.*": {"queue": "disposal"},
    "pqrisk.warnings.*": {"queue": "disposal"},
    "pqrisk.stations.*": {"queue": "intake"},
    "pqrisk.feeds.*": {"queue": "intake"},
}
CELERY_BEAT_SCHEDULE = {
    # Statistical signals: daily series and the space-time scan at 01:30, weekly series
    # and disproportionality on Monday at 02:30 (after the night's screening).
    "signals-daily": {
        "task": "pqrisk.signals.tasks.detect_daily",
        "schedule": crontab(hour=1, minute=30),
    },
    "signals-weekly": {
        "task": "pqrisk.signals.tasks.detect_weekly",
        "schedule": crontab(hour=2, minute=30, day_of_week=1),
    },
    # Credit grades of enterprises with new records (hourly) and trigger-based supervision.
    "supervision-regrade": {
        "task": "pqrisk.supervision.tasks.regrade_changed",
        "schedule": crontab(minute=20),
    },
    "supervision-triggers": {
        "task": "pqrisk.supervision.tasks.run_triggers",
        "schedule": crontab(hour=3, minute=30),
    },
    # Bulletins (产品质量安全资讯): last week's on Monday, last month's on the 1st, as drafts.
    "bulletin-weekly": {
        "task": "pqrisk.bulletins.tasks.draft_weekly",
        "schedule": crontab(hour=6, minute=0, day_of_week=1),
    },
    "bulletin-monthly": {
        "task": "pqrisk.bulletins.tasks.draft_monthly",
        "schedule": crontab(hour=6, minute=30, day_of_month=1),
    },
    # Dashboard summary tables: incremental every five minutes, in full at night.
    "dashboard-summaries": {
        "task": "pqrisk.dashboard.tasks.refresh_summaries",
        "schedule": 300.0,
    },
    "dashboard-summaries-full": {
        "task": "pqrisk.dashboard.tasks.refresh_summaries",
        "schedule": crontab(hour=3, minute=45),
        "kwargs": {"full": True},
    },
    "run-pipeline": {"task": "pqrisk.screening.tasks.run_pipeline", "schedule": 300.0},
    "disposal-clocks": {"task": "pqrisk.disposal.tasks.check_deadlines", "schedule": 900.0},
    "warning-clocks": {
        "task": "pqrisk.warnings.tasks.check_publication_deadlines",
        "schedule": 300.0,
    },
    "station-health": {"task": "pqrisk.stations.tasks.check_stations", "schedule": 3600.0},
    # Every five minutes; each feed's own interval decides whether it is polled.
    "poll-feeds": {"task": "pqrisk.feeds.tasks.poll_feeds", "schedule": 300.0},
    # Pending notification deliveries lost on the way to a worker are enqueued again.
    "notification-sweeper": {
        "task": "pqrisk.notifications.tasks.sweep_deliveries",
        "schedule": 600.0,
    },
}
