"""10,000 hostile records through every door intake has, and not one unaccounted for.

The generator (hostile_records.py) predicts the fate of each unit: accepted, recognised as a
repeat, or quarantined for a given reason. Files go in as the web page uploads them
(``ingest_upload``) and as the CLI reads them (``ingest_file``); records as bureau staff post
them to ``/api/intake/records``; objects as the demo and the exchange hand them to
``ingest_objects``. Every count must come out exactly as predicted, every quarantined item
must say why in Chinese, and markup that was accepted must stay text on every page.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pqrisk.audit.models import AuditEvent
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.intake.services import ingest_file, ingest_objects, ingest_upload

from .hostile_records import Submission, build

pytestmark = pytest.mark.django_db
CHINESE = re.compile("[\u4e00-\u9fff]")
BATCH_IN_MESSAGE = re.compile(r"批次 (\d+)")


def _submit(sub: Submission, i: int, tmp_path: Path, client: Client, dana: Any) -> int:
    """Send one submission through its door; the id of the batch it landed in."""
    if sub.channel == "file":
        if i % 2:  # as the intake page uploads it
            upload = SimpleUploadedFile(sub.name, sub.data)
            return ingest_upload(upload, "complaint", dana).batch_id
        path = tmp_path / sub.name  # as `pqrisk ingest FILE` reads it
        path.write_bytes(sub.data)
        return ingest_file(path, source="complaint", user=dana).batch_id
    if sub.channel == "api":
        response = client.post(
            "/api/intake/records", data=sub.data, content_type="application/json"
        )
        assert response.status_code == sub.status, (sub.name, response.content[:300])
        body = response.json()
        if response.status_code == 200:
            return int(body["batch_id"])
        assert CHINESE.search(body["detail"]), body
        match = BATCH_IN_MESSAGE.search(body["detail"])
        assert match, body["detail"]
        return int(match.group(1))
    return ingest_objects(sub.data, source_label=sub.name, source="complaint", user=dana).batch_id


def test_ten_thousand_hostile_records_are_each_accepted_repeated_or_quarantined(
    tmp_path: Path, dana: Any, alice: Any
) -> None:
    submissions = build(seed=20260305, prefix="H", total=10_000)
    client = Client()
    client.force_login(dana)

    started = time.perf_counter()
    batches = [_submit(sub, i, tmp_path, client, dana) for i, sub in enumerate(submissions)]
    elapsed = time.perf_counter() - started

    units = accepted = duplicates = quarantined = 0
    for sub, batch_id in zip(submissions, batches, strict=True):
        batch = IngestBatch.objects.get(pk=batch_id)
        want_accepted, want_dups, want_reasons = sub.expected()
        got_reasons = Counter(
            QuarantinedItem.objects.filter(batch=batch).values_list("reason", flat=True)
        )
        assert (batch.accepted, batch.duplicates, got_reasons) == (
            want_accepted,
            want_dups,
            want_reasons,
        ), sub.name
        assert batch.quarantined == sum(want_reasons.values())
        # Every record in is accounted for: accepted + repeats + quarantined.
        assert batch.accepted + batch.duplicates + batch.quarantined == sub.units, sub.name
        units += sub.units
        accepted += batch.accepted
        duplicates += batch.duplicates
        quarantined += batch.quarantined
    print(
        f"\n{units} hostile units in {elapsed:.1f} s ({units / elapsed:,.0f}/s): "
        f"{accepted} accepted, {duplicates} repeats, {quarantined} quarantined"
    )
    assert units == 10_000 == accepted + duplicates + quarantined
    assert RawItem.objects.count() == accepted

    # Every quarantined item says why, in Chinese, and keeps what arrived.
    assert QuarantinedItem.objects.count() == quarantined
    for message in QuarantinedItem.objects.values_list("message", flat=True).iterator():
        assert CHINESE.search(message), message
    assert not QuarantinedItem.objects.filter(reason="").exists()
    # Every batch is audited as a change of state.
    assert AuditEvent.objects.filter(action="ingest").count() == len(submissions)


def test_accepted_markup_is_stored_as_text_and_shown_escaped(dana: Any, alice: Any) -> None:
    from pqrisk.screening.services import screen_raw_items

    from .hostile_records import XSS, Generator

    gen = Generator(seed=7, prefix="X")
    records = [gen.good(title=title, text=f"正文：{title}") for title in XSS]
    records.append(gen.good(title='=HYPERLINK("http://evil.example","点击")'))
    result = ingest_objects(records, source_label="标记测试", source="complaint", user=dana)
    assert result.accepted == len(records)
    items = list(RawItem.objects.filter(external_id__startswith="X-"))
    # Stored exactly as text: nothing stripped, nothing encoded.
    assert {i.payload["title"] for i in items} == {r["title"] for r in records}

    screen_raw_items([i.pk for i in items])
    client = Client()
    client.force_login(alice)
    pages = [reverse("web:riskinfo_list")]
    pages += [reverse("web:riskinfo_detail", args=[i.risk_info.pk]) for i in items]
    bad = ingest_objects(
        [{"source": "complaint", "external_id": "", "title": XSS[0], "text": XSS[1]}],
        source_label="<script>alert(1)</script>",
        user=dana,
    )
    q = QuarantinedItem.objects.get(batch_id=bad.batch_id)
    pages += [reverse("web:quarantine_list"), reverse("web:quarantine_detail", args=[q.pk])]
    raw_tags = ("<script>alert", "<img src=x", "<svg/onload", "<iframe", '<a href="javascript')
    for url in pages:
        html = client.get(url).content.decode()
        assert not [tag for tag in raw_tags if tag in html], url
    for item in items:
        html = client.get(reverse("web:riskinfo_detail", args=[item.risk_info.pk])).content
        if item.payload["title"].startswith(("<", '"')):
            assert b"&lt;" in html  # shown, as text


def test_intake_page_shows_hostile_names_and_reasons_escaped(dana: Any) -> None:
    client = Client()
    client.force_login(dana)
    line = {"source": "complaint", "external_id": "P-1", "title": "", "text": ""}
    upload = SimpleUploadedFile(
        "<img src=x onerror=alert(1)>.jsonl", (json.dumps(line) + "\n").encode()
    )
    response = client.post(reverse("web:intake"), {"file": upload, "source": "complaint"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in html
    assert QuarantinedItem.objects.filter(reason="missing_field").count() == 1
