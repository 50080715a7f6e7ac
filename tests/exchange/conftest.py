"""Records of every stream, as the sample files give them, for the exchange stories; the
city admin frank, our signing key and a shared warning for the 长三角 stories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from conftest import PUDONG, make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.core.levels import WarningLevel
from pqrisk.disposal.models import Feedback
from pqrisk.intake.models import RawItem
from pqrisk.intake.services import ingest_file
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.services import screen_pending
from pqrisk.sources.streams import STREAMS
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories

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


@pytest.fixture
def frank(db: Any) -> User:
    """The city admin (市局管理员): imports packages and keeps the partner registry."""
    return make_user("frank", Role.CITY_ADMIN)


@pytest.fixture(autouse=True)
def our_key(settings: Any, tmp_path: Path) -> Path:
    """Our signing key lives in the test's own directory, never in the tree."""
    settings.PQRISK_EXCHANGE_KEY_FILE = str(tmp_path / "keys" / "shamr.pem")
    settings.PQRISK_EXCHANGE_PRODUCER = {}
    return Path(settings.PQRISK_EXCHANGE_KEY_FILE)


@pytest.fixture
def shared_warning(db: Any) -> Warning:
    """A published red warning on a screened spot check and complaint, with a Pudong task
    that has reported back."""
    for source in ("spot_check", "complaint"):
        assert ingest_file(SAMPLES / source / "good.jsonl").quarantined == 0
    screen_pending()
    spot = RiskInfo.objects.filter(source_kind="spot_check").order_by("id").first()
    complaint = RiskInfo.objects.filter(source_kind="complaint").order_by("id").first()
    assert spot is not None and complaint is not None
    w = factories.warning(spot, level=WarningLevel.RED, status="published")
    w.risk_infos.add(complaint)
    task = factories.task(w, PUDONG, status="reported", completed_at=timezone.now())
    Feedback.objects.create(
        task=task,
        measures="责令停止销售，下架全部库存",
        findings="检查经营者12家，发现问题产品3批次",
        enterprises_checked=12,
        products_removed=340,
    )
    return w
