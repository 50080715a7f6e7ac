"""The base class of every pqrisk task (``pqrisk/celery.py`` sets it as the app's Task).

A message is acknowledged only after its task has run (``acks_late``) and goes back to the
queue when the worker process dies under it (``reject_on_worker_lost``). A transient error
(the database or the broker away for a while) is retried with exponential back-off and
jitter; when the retries run out, or the error is not transient, the task becomes a dead
letter (``DeadLetter``) that a city administrator can re-enqueue or discard.

A message whose task never returns because it takes the worker down with it (a crash in a
native library, memory exhausted) would come back for ever: each delivery is counted
(``TaskDelivery``), and one delivered more than PQRISK_TASK_MAX_DELIVERIES times becomes a
dead letter without running again.
"""

from __future__ import annotations

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from billiard.einfo import ExceptionInfo
from celery import Task
from celery.exceptions import Ignore
from django.conf import settings
from django.db import InterfaceError, OperationalError

log = logging.getLogger(__name__)

# Errors that go away by themselves: a database restarting or failing over, a broker
# restarting, a network blip. Anything else is a bug or bad data and is not retried.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


class PqriskTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    max_retries = settings.PQRISK_TASK_MAX_RETRIES
    retry_backoff = settings.PQRISK_TASK_RETRY_BACKOFF
    retry_backoff_max = settings.PQRISK_TASK_RETRY_BACKOFF_MAX
    retry_jitter = True
    acks_late = True
    reject_on_worker_lost = True

    def before_start(self, task_id: str, args: Any, kwargs: Any) -> None:
        if self.request.is_eager:
            return
        from .services import count_delivery, forget_delivery

        retries = self.request.retries or 0
        deliveries = count_delivery(task_id, retries, self.name)
        if deliveries <= settings.PQRISK_TASK_MAX_DELIVERIES:
            return
        self._dead_letter(
            task_id,
            args,
            kwargs,
            f"PoisonMessage: 第 {deliveries} 次投递；此前 {deliveries - 1} 次执行都没有结束"
            "（工作进程在执行中退出），不再执行",
        )
        forget_delivery(task_id, retries)
        log.error(
            "poison message %s %s set aside after %d deliveries", self.name, task_id, deliveries
        )
        raise Ignore()  # acknowledged: it does not come back

    def after_return(
        self,
        status: str,
        retval: Any,
        task_id: str,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo | None,
    ) -> None:
        if not self.request.is_eager:
            from .services import forget_delivery

            forget_delivery(task_id, self.request.retries or 0)

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo,
    ) -> None:
        # Run eagerly (tests, the laptop shape) the caller receives the exception itself.
        if self.request.is_eager:
            return
        self._dead_letter(
            task_id,
            args,
            kwargs,
            f"{type(exc).__name__}: {exc}",
            str(einfo.traceback if einfo else ""),
        )

    def _dead_letter(
        self, task_id: str, args: Any, kwargs: Any, exception: str, traceback: str = ""
    ) -> None:
        """Keep this delivery of the task as a dead letter, with what is needed to rerun it."""
        from .services import record_dead_letter

        delivery = self.request.delivery_info or {}
        record_dead_letter(
            task_name=self.name,
            task_id=task_id,
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            exception=exception,
            traceback=traceback,
            retries=self.request.retries or 0,
            queue=str(delivery.get("routing_key") or ""),
        )
