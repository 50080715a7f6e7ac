"""Celery: broker, queues, routes and the beat schedule (imported by base.py)."""

from __future__ import annotations

import os

from celery.schedules import crontab


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Celery: eager only when no broker is configured (laptop shape) and in unit tests.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_EAGER_PROPAGATES = True
# Every task's base class (pqrisk/ops/base.py) acknowledges a message only after its task ran
# and sends it back when the worker process dies; kept here too for tasks of other apps.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task running when the broker connection drops is cancelled: its message, not acknowledged,
# is delivered again, and the task's idempotency key makes the second run harmless.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits for the broker as long as it takes
CELERY_TIMEZONE = "Asia/Shanghai"  # settings.TIME_ZONE

# Retries of transient errors (database or broker away): exponential back-off from
# PQRISK_TASK_RETRY_BACKOFF seconds, capped, with full jitter so that a fleet of workers does
# not come back all at once. The defaults wait about 20 minutes in all before a dead letter.
PQRISK_TASK_MAX_RETRIES = _env_int("PQRISK_TASK_MAX_RETRIES", 10)
PQRISK_TASK_RETRY_BACKOFF = _env_int("PQRISK_TASK_RETRY_BACKOFF", 2)
PQRISK_TASK_RETRY_BACKOFF_MAX = _env_int("PQRISK_TASK_RETRY_BACKOFF_MAX", 300)
# A message handed to workers this many times without its task ever returning (each time
# the worker died under it) becomes a dead letter on the next delivery: a poison message.
PQRISK_TASK_MAX_DELIVERIES = _env_int("PQRISK_TASK_MAX_DELIVERIES", 3)
CELERY_TASK_DEFAULT_RETRY_DELAY = PQRISK_TASK_RETRY_BACKOFF

# A producer keeps trying to publish while the broker is away, for up to this many seconds
# (each attempt 1 s, then 2 s apart), instead of losing the message.
PQRISK_PUBLISH_RETRY_SECONDS = _env_int("PQRISK_PUBLISH_RETRY_SECONDS", 120)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": max(1, PQRISK_PUBLISH_RETRY_SECONDS // 2),
    "interval_start": 1,
    "interval_step": 1,
    "interval_max": 2,
}

# Redis keeps a delivered, unacknowledged message aside and puts it back in its queue after
# the visibility timeout: that is how the message of a killed worker is delivered again. It
# must exceed the longest countdown of a retry (PQRISK_TASK_RETRY_BACKOFF_MAX), or a waiting
# retry is delivered twice (harmless for keyed tasks, but wasted work).
PQRISK_BROKER_VISIBILITY_TIMEOUT = _env_int("PQRISK_BROKER_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": PQRISK_BROKER_VISIBILITY_TIMEOUT,
    # Look for expired messages every few seconds (kombu's default looks every 100 s).
    "unacked_restore_interval": max(1, min(10, PQRISK_BROKER_VISIBILITY_TIMEOUT // 5)),
    "unacked_restore_throttle": 1,
    # The lock of that look outlives a worker killed while holding it (or a broker stopped
    # meanwhile) by this long, and nothing is restored until it expires: kombu's 300 s, but
    # never longer than half the visibility timeout.
    "unacked_mutex_expire": max(5, min(300, PQRISK_BROKER_VISIBILITY_TIMEOUT // 2)),
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Seconds between runs of the loop's short path (screen_new, advance_pipeline).
PQRISK_PIPELINE_TICK = float(os.environ.get("PQRISK_PIPELINE_TICK", "5"))

# Queues by stage of the loop. Every task is named here: a test enumerates the registered
# tasks and fails for one without a route, so no task lands on a queue no worker reads.
TASKS_BY_STAGE: dict[str, tuple[str, ...]] = {
    "ingest": (
        "pqrisk.intake.tasks.ingest_records",
        "pqrisk.feeds.tasks.poll_feeds",
        "pqrisk.stations.tasks.check_stations",
    ),
    "screen": (
        "pqrisk.screening.tasks.run_pipeline",
        "pqrisk.screening.tasks.screen_batch",
        "pqrisk.screening.tasks.screen_pending",
        "pqrisk.screening.tasks.screen_new",
        "pqrisk.enterprises.tasks.match_pending",
        "pqrisk.foreign.tasks.process_foreign",
        "pqrisk.signals.tasks.detect_daily",
        "pqrisk.signals.tasks.detect_weekly",
    ),
    "assess": (
        "pqrisk.screening.tasks.advance_pipeline",
        "pqrisk.supervision.tasks.regrade_enterprises",
        "pqrisk.supervision.tasks.regrade_changed",
        "pqrisk.supervision.tasks.run_triggers",
    ),
    "notify": (
        "pqrisk.notifications.tasks.deliver",
        "pqrisk.notifications.tasks.sweep_deliveries",
        "pqrisk.warnings.tasks.deliver_recipient",
        "pqrisk.warnings.tasks.check_publication_deadlines",
        "pqrisk.disposal.tasks.check_deadlines",
    ),
    "schedule": (
        "pqrisk.bulletins.tasks.draft_weekly",
        "pqrisk.bulletins.tasks.draft_monthly",
        "pqrisk.dashboard.tasks.refresh_summaries",
        "pqrisk.ops.tasks.import_dead_letter_spool",
        "pqrisk.foreign.tasks.poll_foreign",
    ),
}
STAGE_QUEUES = tuple(TASKS_BY_STAGE)
CELERY_TASK_ROUTES = {
    name: {"queue": stage} for stage, names in TASKS_BY_STAGE.items() for name in names
}
# Celery's own tasks (celery.chord_unlock …) and anything unrouted go to the schedule queue,
# which every shape of deployment reads.
CELERY_TASK_DEFAULT_QUEUE = "schedule"
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
    # The loop: a sweep of everything every five minutes, and the short path every few
    # seconds (new items screened; the next screened items matched, assessed and proposed).
    # A short-path message not started within its interval is dropped: the next one does it.
    "run-pipeline": {"task": "pqrisk.screening.tasks.run_pipeline", "schedule": 300.0},
    "screen-new": {
        "task": "pqrisk.screening.tasks.screen_new",
        "schedule": PQRISK_PIPELINE_TICK,
        "options": {"expires": PQRISK_PIPELINE_TICK},
    },
    "advance-pipeline": {
        "task": "pqrisk.screening.tasks.advance_pipeline",
        "schedule": PQRISK_PIPELINE_TICK,
        "options": {"expires": PQRISK_PIPELINE_TICK},
    },
    "disposal-clocks": {"task": "pqrisk.disposal.tasks.check_deadlines", "schedule": 900.0},
    "warning-clocks": {
        "task": "pqrisk.warnings.tasks.check_publication_deadlines",
        "schedule": 300.0,
    },
    "station-health": {"task": "pqrisk.stations.tasks.check_stations", "schedule": 3600.0},
    # Foreign alerts (境外通报): the inbox folder and export URLs, hourly at ten past.
    "foreign-poll": {"task": "pqrisk.foreign.tasks.poll_foreign", "schedule": crontab(minute=10)},
    # Every five minutes; each feed's own interval decides whether it is polled.
    "poll-feeds": {"task": "pqrisk.feeds.tasks.poll_feeds", "schedule": 300.0},
    # Pending notification deliveries lost on the way to a worker are enqueued again.
    "notification-sweeper": {
        "task": "pqrisk.notifications.tasks.sweep_deliveries",
        "schedule": 600.0,
    },
    # Dead letters written to the spool while the database was away.
    "dead-letter-spool": {
        "task": "pqrisk.ops.tasks.import_dead_letter_spool",
        "schedule": 600.0,
    },
}
