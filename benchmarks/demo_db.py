"""A throw-away SQLite database holding the demo year, ingested and screened: what the
benchmarks that compare against the generator's injected incidents start from."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def screened_demo(seed: int, prefix: str) -> Path:
    """Set up Django on a new temporary var dir, generate the demo year with ``seed``, load
    its enterprises, ingest every record file and screen it. Returns the var dir (the
    generator's files, ground_truth.json among them, are in its ``demo/``)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["PQRISK_VAR_DIR"] = str(tmp)
    os.environ["PQRISK_SCREENING_DIR"] = str(tmp / "screening")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    from pqrisk.demo.generator import generate
    from pqrisk.enterprises.services import upsert_enterprises
    from pqrisk.intake.services import ingest_file
    from pqrisk.screening.services import screen_pending

    call_command("migrate", verbosity=0)
    data = generate(seed=seed)
    files = data.write(tmp / "demo")
    upsert_enterprises(data.enterprises, source_label="bench")
    for name, path in files.items():
        if path.suffix == ".jsonl" and name != "enterprises":
            ingest_file(path)
    screen_pending()
    return tmp
