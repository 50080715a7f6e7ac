"""A consumer that crashes after doing a message's work and before acknowledging it.

Run as a process with a worker's environment: it takes one message from the ingest queue,
runs its task to the end (the items are committed) and exits at once, without the ack, as a
worker would that lost its power between the two. Prints the task's result as JSON.
"""

from __future__ import annotations

import json
import os
import sys

import django

django.setup()

from kombu import Connection  # noqa: E402

from pqrisk.celery import app  # noqa: E402


def main() -> None:
    app.loader.import_default_modules()
    with Connection(os.environ["CELERY_BROKER_URL"]) as conn:
        queue = conn.SimpleQueue("ingest")
        message = queue.get(block=True, timeout=60)
        args, kwargs, _embed = message.decode()
        task = app.tasks[message.headers["task"]]
        result = task.apply(args=args, kwargs=kwargs, task_id=message.headers["id"])
        print(json.dumps(result.get()), flush=True)
        os._exit(0)  # no ack, no clean close: the message stays delivered-but-unacknowledged


if __name__ == "__main__":
    sys.exit(main())
