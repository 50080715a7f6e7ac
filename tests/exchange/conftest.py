"""Records of every stream, as the sample files give them, for the exchange stories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pqrisk.intake.models import RawItem
from pqrisk.intake.services import ingest_file
from pqrisk.sources.streams import STREAMS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def stored() -> dict[tuple[str, str], Any]:
    """Every raw item's canonical payload by (source, id)."""
    return {(i.source_kind, i.external_id): i.payload for i in RawItem.objects.all()}


@pytest.fixture
def sample_records(db: Any) -> int:
    """The good.jsonl of every internal stream (six records each, all districts)."""
    for source in sorted(STREAMS):
        result = ingest_file(SAMPLES / source / "good.jsonl")
        assert result.quarantined == 0
    return RawItem.objects.count()
