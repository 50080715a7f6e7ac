"""长三角 sharing packages, as a story between two bureaus sharing one test database.

Zhejiang (浙江省市场监督管理局, ZJAMR) publishes a warning about products also known in
Shanghai and sends us signed packages (``yrd_story``); Shanghai (SHAMR, this platform) has
registered Zhejiang's public key. alice is the city supervisor, frank the city admin, bob a
Pudong district officer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.exchange import yrd
from pqrisk.exchange.choices import PackageDirection, PackageStatus, RefusalCode
from pqrisk.exchange.keys import own_public_key
from pqrisk.exchange.models import ExchangePackage
from pqrisk.exchange.signing import package_hash, package_text
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.services import screen_pending
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories

from .conftest import PUDONG
from .yrd_story import as_zhejiang, register_zhejiang, write, zhejiang_exports

pytestmark = pytest.mark.django_db


def test_a_package_round_trips_with_the_same_content_and_a_verified_signature(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    partner = register_zhejiang(settings, tmp_path, frank)

    received = yrd.import_package(write(tmp_path, sent), user=frank)

    assert received.status == PackageStatus.ACCEPTED and received.verified
    assert received.partner == partner and received.issuer_code == "ZJAMR"
    assert received.package_hash == sent.package_hash
    assert received.body == json.loads(sent.content)["body"]
    body = received.body
    assert body["warning"]["title"] == shared_warning.title
    assert body["warning"]["level"] == "red" and body["warning"]["level_label"] == "红色预警"
    (task,) = body["disposal"]["tasks"]
    assert task["district"] == {"code": PUDONG, "name": "浦东新区"}
    assert task["routes"] == ["inspection", "recall"] and task["status"] == "reported"
    assert task["feedback"][0]["products_removed"] == 340
    assert body["disposal"]["totals"]["enterprises_checked"] == 12
    # Each record arrived as it was sent, under an id scoped to Zhejiang.
    assert received.records == received.accepted == 2
    exported = {r["external_id"]: r for r in body["records"]}
    for item in RawItem.objects.filter(batch_id=received.batch_id):
        original = exported[item.external_id.removeprefix("ZJAMR:")]
        assert item.external_id.startswith("ZJAMR:")
        assert {k: v for k, v in item.payload.items() if k != "external_id"} == {
            k: v for k, v in original.items() if k not in ("external_id", "tags")
        }
    assert AuditEvent.objects.filter(action="yrd_export", object_id=str(sent.pk)).exists()
    assert AuditEvent.objects.get(action="yrd_import").actor == frank


def test_items_already_known_here_are_marked_duplicates_when_screened(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)
    received = yrd.import_package(write(tmp_path, sent), user=frank)

    screen_pending()

    local = set(shared_warning.risk_infos.values_list("pk", flat=True))
    items = list(yrd.imported_items(received))
    assert len(items) == 2
    for item in items:
        info = item.risk_info
        assert info.status == RiskInfoStatus.DUPLICATE, info.source_kind
        assert info.duplicate_of_id in local


def test_the_file_may_be_reformatted_and_still_verifies(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)
    compact = json.dumps(json.loads(sent.content), ensure_ascii=True)  # \\u escapes, one line

    received = yrd.import_package(write(tmp_path, sent, compact), user=frank)

    assert received.status == PackageStatus.ACCEPTED


def assert_refused(row: ExchangePackage, code: str, *words: str) -> None:
    assert row.status == PackageStatus.REFUSED and row.refusal == code, row.error
    assert not row.verified
    for word in words:
        assert word in row.error, row.error
    # The file is kept whole in the quarantine with the reason.
    (kept,) = QuarantinedItem.objects.filter(batch_id=row.batch_id)
    assert row.error[:50] in kept.message and kept.content


def test_a_package_changed_after_signing_is_refused_and_kept_in_quarantine(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)
    # One character of the body: the feedback's 340 products removed become 240.
    text = sent.content.replace('"products_removed": 340', '"products_removed": 240')
    assert text != sent.content

    row = yrd.import_package(write(tmp_path, sent, text), user=frank)

    assert_refused(row, RefusalCode.BAD_SIGNATURE, "签名验证失败", "改动")
    assert RawItem.objects.filter(external_id__startswith="ZJAMR:").count() == 0
    assert AuditEvent.objects.get(action="yrd_refuse").actor == frank
    # The original still goes in afterwards.
    assert yrd.import_package(write(tmp_path, sent), user=frank).status == "accepted"


def test_a_package_signed_with_another_key_is_refused(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    register_zhejiang(settings, tmp_path, frank)
    with as_zhejiang(settings, tmp_path, key="impostor.pem"):
        forged = yrd.export_package(shared_warning, user=alice)

    row = yrd.import_package(write(tmp_path, forged), user=frank)

    assert_refused(row, RefusalCode.WRONG_KEY, "签名验证失败", "与登记的浙江省市场监管局公钥")


def test_a_signature_moved_to_another_package_does_not_verify(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    first, second = zhejiang_exports(settings, tmp_path, shared_warning, alice, n=2)
    register_zhejiang(settings, tmp_path, frank)
    package = json.loads(first.content)
    package["signature"] = json.loads(second.content)["signature"]

    row = yrd.import_package(write(tmp_path, first, package_text(package)), user=frank)

    assert_refused(row, RefusalCode.BAD_SIGNATURE, "签名验证失败")


def test_the_chain_must_be_followed_in_order(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    p1, p2, p3 = zhejiang_exports(settings, tmp_path, shared_warning, alice, n=3)
    assert (p1.sequence, p2.sequence, p3.sequence) == (1, 2, 3)
    assert p2.previous_hash == p1.package_hash and p3.previous_hash == p2.package_hash
    assert p1.previous_hash == ""
    register_zhejiang(settings, tmp_path, frank)

    assert yrd.import_package(write(tmp_path, p1), user=frank).status == "accepted"
    skipped = yrd.import_package(write(tmp_path, p3), user=frank)
    assert_refused(skipped, RefusalCode.BROKEN_CHAIN, "哈希链断裂", "缺少第 2 号包")
    assert yrd.import_package(write(tmp_path, p2), user=frank).status == "accepted"
    late = yrd.import_package(write(tmp_path, p1), user=frank)
    assert_refused(late, RefusalCode.REPLAY, "已于", "不重复导入")
    assert yrd.import_package(write(tmp_path, p3), user=frank).status == "accepted"


def test_an_older_package_after_a_newer_one_is_refused(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    p1, p2 = zhejiang_exports(settings, tmp_path, shared_warning, alice, n=2)
    register_zhejiang(settings, tmp_path, frank)
    assert yrd.import_package(write(tmp_path, p2), user=frank).status == "accepted"

    row = yrd.import_package(write(tmp_path, p1), user=frank)

    assert_refused(row, RefusalCode.OUT_OF_ORDER, "顺序错误", "早于已接收的第 2 号包")


def test_a_replaced_link_of_the_chain_is_refused(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    """Zhejiang's key signs a second package 2 that does not follow the package 1 we have
    (a rewritten history): its previous hash is not the one we hold."""
    (p1,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)
    assert yrd.import_package(write(tmp_path, p1), user=frank).status == "accepted"
    ExchangePackage.objects.filter(direction=PackageDirection.SENT).delete()
    with as_zhejiang(settings, tmp_path):
        ExchangePackage.objects.create(
            direction=PackageDirection.SENT,
            status=PackageStatus.ISSUED,
            sequence=1,
            package_hash="0" * 64,
            package_id="ZJAMR-other-1",
        )
        rewritten = yrd.export_package(shared_warning, user=alice)
    assert rewritten.sequence == 2 and rewritten.previous_hash != p1.package_hash

    row = yrd.import_package(write(tmp_path, rewritten), user=frank)

    assert_refused(row, RefusalCode.BROKEN_CHAIN, "上一包摘要", "不一致")


def test_unknown_inactive_and_own_issuers_are_refused(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    unknown = yrd.import_package(write(tmp_path, sent), user=frank)
    assert_refused(unknown, RefusalCode.UNKNOWN_ISSUER, "ZJAMR", "不是已登记的长三角合作单位")

    partner = register_zhejiang(settings, tmp_path, frank)
    yrd.set_partner_active(partner, False, user=frank)
    inactive = yrd.import_package(write(tmp_path, sent), user=frank)
    assert_refused(inactive, RefusalCode.INACTIVE_ISSUER, "已停用")

    ours = yrd.export_package(shared_warning, user=alice)
    own = yrd.import_package(write(tmp_path, ours), user=frank)
    assert_refused(own, RefusalCode.OWN_PACKAGE, "本平台")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json at all", ("不是合法的JSON",)),
        ('{"format": "pqrisk-exchange", "version": 1}', ("不是长三角共享包",)),
        ('{"format": "pqrisk-yrd-package", "version": 9}', ("不支持的共享包版本：9",)),
    ],
)
def test_what_is_not_a_package_is_refused_with_the_reason(
    tmp_path: Path, frank: User, content: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    assert_refused(yrd.import_package(path, user=frank), RefusalCode.MALFORMED, *words)


def test_an_unsigned_package_is_refused(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)
    package = json.loads(sent.content)
    del package["signature"]
    row = yrd.import_package(write(tmp_path, sent, package_text(package)), user=frank)
    assert_refused(row, RefusalCode.UNSIGNED, "没有签名")


def test_only_published_warnings_are_shared(shared_warning: Warning, alice: User) -> None:
    draft = factories.warning(shared_warning.risk_infos.first(), status="in_review")
    with pytest.raises(yrd.ExchangeError, match="只有已发布或已解除的预警"):
        yrd.export_package(draft, user=alice)


def test_who_may_export_import_and_register(
    settings: Any,
    tmp_path: Path,
    shared_warning: Warning,
    alice: User,
    dana: User,
    bob: User,
    frank: User,
) -> None:
    for user in (bob, dana):
        with pytest.raises(PermissionDenied):
            yrd.export_package(shared_warning, user=user)
    sent = yrd.export_package(shared_warning, user=frank)
    for user in (alice, bob):
        with pytest.raises(PermissionDenied):
            yrd.import_package(write(tmp_path, sent), user=user)
        with pytest.raises(PermissionDenied):
            yrd.register_partner(
                code="JSAMR", name="江苏", province="江苏省", public_key="x", user=user
            )
    assert not ExchangePackage.objects.filter(direction=PackageDirection.RECEIVED).exists()


def test_our_chain_and_key_are_kept_across_exports(
    shared_warning: Warning, alice: User, our_key: Path
) -> None:
    first = yrd.export_package(shared_warning, user=alice)
    second = yrd.export_package(shared_warning, user=alice)
    assert our_key.exists() and (our_key.stat().st_mode & 0o777) == 0o600
    assert second.previous_hash == first.package_hash == package_hash(json.loads(first.content))
    header = json.loads(second.content)["header"]
    assert header["issuer"] == {"code": "SHAMR", "name": "上海市市场监督管理局"}
    assert header["sequence"] == 2 and second.package_id.startswith("SHAMR-")


def test_a_partner_key_is_checked_and_a_new_key_is_audited(frank: User, tmp_path: Path) -> None:
    with pytest.raises(yrd.ExchangeError, match="公钥无效"):
        yrd.register_partner(
            code="AHAMR", name="安徽省市场监督管理局", province="安徽省", public_key="abc"
        )
    with pytest.raises(yrd.ExchangeError, match="本平台自己的代码"):
        yrd.register_partner(
            code="SHAMR", name="上海", province="上海市", public_key=own_public_key(create=True)
        )
    key = own_public_key(create=True)
    partner = yrd.register_partner(
        code="AHAMR", name="安徽省市场监督管理局", province="安徽省", public_key=key, user=frank
    )
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pqrisk.exchange.signing import public_key_text

    new = public_key_text(Ed25519PrivateKey.generate().public_key())
    again = yrd.register_partner(
        code="AHAMR", name="安徽省市场监督管理局", province="安徽省", public_key=new, user=frank
    )
    assert again.pk == partner.pk and again.public_key == new
    event = AuditEvent.objects.get(action="yrd_partner_update")
    assert "公钥由" in event.message and event.detail["old_key_id"] == partner.key_id


def test_routed_actions_and_recall_progress_travel_when_disposal_records_them(
    shared_warning: Warning, alice: User
) -> None:
    from pqrisk.disposal import models as disposal

    if not hasattr(disposal, "TaskRoute") or not hasattr(disposal, "RecallProgress"):
        pytest.skip("the disposal app does not record routed actions")
    task = shared_warning.tasks.get()
    route = disposal.TaskRoute.objects.create(task=task, route="recall", unit="浦东新区市场监管局")
    disposal.RecallProgress.objects.create(route_item=route, units_in_use=500, units_recovered=420)

    body = json.loads(yrd.export_package(shared_warning, user=alice).content)["body"]

    (item,) = body["disposal"]["tasks"][0]["route_items"]
    assert item["route"] == "recall" and item["route_label"] == "缺陷召回监管"
    assert item["unit"] == "浦东新区市场监管局"
    assert item["recall"]["units_in_use"] == 500 and item["recall"]["units_recovered"] == 420
