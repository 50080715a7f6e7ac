"""Test settings: the same as base, with fast hashing and eager Celery."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
# Serve static files from the finders: tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Close connections after each request and task: a worker thread in the broker tests must
# not keep a session open that would block dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Each test process keeps its own screening index (xdist runs several at once).
PQRISK_SCREENING_DIR = Path(tempfile.gettempdir(), f"pqrisk-screening-{os.getpid()}")
# Uploaded files of the tests stay out of the working tree.
MEDIA_ROOT = Path(tempfile.gettempdir(), f"pqrisk-media-{os.getpid()}")
# Mail stays in memory (django.core.mail.outbox).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The exchange signing key of a test run is its own, never the working tree's var/keys/.
PQRISK_EXCHANGE_KEY_FILE = str(Path(tempfile.gettempdir(), f"pqrisk-keys-{os.getpid()}", "k.pem"))
