"""Bad input gets a clear Chinese error and leaves nothing half-saved: a lab file with an
unknown sample or a word where a number belongs, a file missing a column, a result for a
sample the lab never received, a broken chain of custody."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.intake.models import QuarantinedItem
from pqrisk.labs import services
from pqrisk.labs.choices import CustodyKind
from pqrisk.labs.models import CustodyEntry, ResultBatch, TestItem, ViolationLead
from pqrisk.labs.results_file import ResultsRejected

from .builders import (
    LAB,
    at,
    bought_task,
    csv_upload,
    planned_task,
    sealed_sample,
    to_lab,
    today,
)

pytestmark = pytest.mark.django_db


def nothing_saved() -> None:
    assert not TestItem.objects.exists()
    assert not ResultBatch.objects.exists()
    assert not ViolationLead.objects.exists()
    assert not AuditEvent.objects.filter(action__in=("results", "test", "flag_lead")).exists()


@pytest.fixture
def received(dana: User) -> Any:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    to_lab(sample, dana)
    task.refresh_from_db()
    return task, sample


def test_a_file_with_bad_rows_is_refused_whole_with_each_row_named(
    dana: User, received: Any
) -> None:
    task, sample = received
    upload = csv_upload(
        f"{sample.code},铅,GB 6675.4-2014,,≤90,mg/kg,150,不合格",  # good, and a failure
        "CY2099-9999-01,镉,GB 6675.4-2014,,≤75,mg/kg,12,",  # unknown sample
        f"{sample.code},铬,GB 6675.4-2014,,≤60,mg/kg,偏高,",  # not a number
        f"{sample.code},汞,GB 6675.4-2014,,60,mg/kg,1,",  # limit without comparison
        f"{sample.code},铅,GB 6675.4-2014,,≤90,mg/kg,10,",  # the first row again
        f"{sample.code},锑,GB 6675.4-2014,,≤60,{'m' * 41},1,",  # a unit too long to keep
    )
    with pytest.raises(ResultsRejected) as exc:
        services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    errors = {(e.row, e.column): e.message for e in exc.value.errors}
    assert "样品编号“CY2099-9999-01”不存在" in errors[(3, "样品编号")]
    assert sample.code in errors[(3, "样品编号")]  # the task's own samples are listed
    assert "不是数字" in errors[(4, "实测值")]
    assert "缺少比较符号" in errors[(5, "限值")]
    assert "与第2行重复" in errors[(6, "检验项目")]
    assert (2, "样品编号") not in errors
    assert "超过40个字符" in errors[(7, "单位")]
    assert "5行有错误" in exc.value.message_zh
    nothing_saved()
    task.refresh_from_db()
    assert task.status == "sent_to_lab"
    # The refused file is kept in quarantine with its reasons: nothing is lost.
    (kept,) = QuarantinedItem.objects.filter(source_kind="lab_results")
    assert "CY2099-9999-01" in kept.content and task.code in kept.location
    parsed: Any = kept.parsed
    assert "5行有错误" in kept.message and len(parsed["errors"]) == len(exc.value.errors)
    assert default_storage.exists(parsed["file"])
    assert AuditEvent.objects.filter(action="quarantine", object_id=str(task.pk)).exists()


def test_an_oversized_file_is_refused_and_kept(dana: User, received: Any) -> None:
    task, _ = received
    upload = SimpleUploadedFile(
        "big.csv", b"x" * (services.MAX_RESULTS_FILE_BYTES + 1), content_type="text/csv"
    )
    with pytest.raises(ResultsRejected, match="文件过大"):
        services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    (kept,) = QuarantinedItem.objects.filter(source_kind="lab_results")
    assert kept.reason == "too_large" and "字节" in kept.content
    parsed: Any = kept.parsed
    assert default_storage.size(parsed["file"]) == services.MAX_RESULTS_FILE_BYTES + 1
    nothing_saved()


def test_a_file_missing_a_column_says_which(dana: User, received: Any) -> None:
    task, sample = received
    upload = csv_upload(
        f"{sample.code},铅,GB 6675.4-2014,≤90,150", header="样品编号,检验项目,标准,限值,实测值"
    )
    with pytest.raises(ResultsRejected) as exc:
        services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    (error,) = exc.value.errors
    assert error.row is None and "缺少列：技术要求、单位" in error.message
    nothing_saved()


def test_files_that_are_not_results(dana: User, received: Any) -> None:
    task, _ = received
    for upload, says in (
        (SimpleUploadedFile("r.pdf", b"%PDF-1.4"), "不支持的文件类型"),
        (SimpleUploadedFile("r.xlsx", b"not a zip"), "Excel文件无法打开"),
        (SimpleUploadedFile("r.csv", b""), "文件为空"),
        (csv_upload(), "没有检验结果行"),
    ):
        with pytest.raises(ResultsRejected) as exc:
            services.import_results(task, upload, dana, lab=LAB, tested_on=today())
        assert says in exc.value.message_zh, says
    nothing_saved()


def test_an_excel_file_with_other_usual_headers_imports(dana: User, received: Any) -> None:
    task, sample = received
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "样品编码",
            "检测项目",
            "检验依据",
            "标准要求",
            "标准限值",
            "计量单位",
            "检测结果",
            "单项判定",
            "检测日期",
        ]
    )
    sheet.append([sample.code, "铅", "GB 6675.4-2014", None, "≤90", "mg/kg", 0.5, "合格", today()])
    sheet.append([None] * 9)  # empty rows are skipped
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("结果.xlsx", buffer.getvalue())
    batch = services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    item = batch.items.get()
    assert (item.measured_text, item.verdict, item.row_number) == ("0.5", "pass", 2)


def test_a_gbk_csv_is_read(dana: User, received: Any) -> None:
    task, sample = received
    text = "样品编号,检验项目,标准,技术要求,限值,单位,实测值\n"
    text += f"{sample.code},甲醛,GB 6675.1-2014,,≤30,mg/kg,未检出\n"
    upload = SimpleUploadedFile("结果.csv", text.encode("gbk"))
    batch = services.import_results(task, upload, dana, lab=LAB, tested_on=today())
    assert batch.items.get().verdict == "pass"


def test_a_sample_not_yet_received_by_the_lab_cannot_be_tested(dana: User) -> None:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    to_lab(sample, dana, receive=False)  # shipped, not received
    with pytest.raises(ResultsRejected) as exc:
        services.enter_result(
            sample,
            dana,
            name="铅",
            standard="GB 6675.4-2014",
            limit="≤90",
            measured="150",
            lab=LAB,
            tested_on=today(),
        )
    assert f"样品{sample.code}尚未由实验室接收" in str(exc.value.errors[0])
    nothing_saved()


def test_a_sample_that_arrived_with_a_broken_seal_cannot_be_tested(dana: User) -> None:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    to_lab(sample, dana, seal_intact=False)
    with pytest.raises(ResultsRejected) as exc:
        services.enter_result(
            sample,
            dana,
            name="铅",
            standard="GB 6675.4-2014",
            limit="≤90",
            measured="150",
            lab=LAB,
            tested_on=today(),
        )
    assert "封条不完整" in exc.value.errors[0].message
    nothing_saved()


def test_the_chain_of_custody_must_be_unbroken(dana: User) -> None:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    services.add_custody_entry(
        sample, dana, kind=CustodyKind.RECEIVED, at=at(2), from_party="店铺", to_party="张三"
    )
    bad: list[tuple[dict[str, Any], str]] = [
        ({"from_party": "李四", "to_party": "顺丰速运", "at": at(1)}, "流转不连续"),
        ({"from_party": "张三", "to_party": "顺丰速运", "at": at(2.2)}, "早于上一环节"),
        ({"from_party": "张三", "to_party": "顺丰速运", "at": at(-1)}, "晚于当前时间"),
        ({"from_party": "张三", "to_party": "张三", "at": at(1)}, "不能相同"),
        (
            {"from_party": "张三", "to_party": "别的实验室", "at": at(1), "kind": "lab_received"},
            "承检机构",
        ),
    ]
    for fields, says in bad:
        kwargs: dict[str, Any] = {"kind": CustodyKind.HANDOVER, **fields}
        with pytest.raises(services.LabError, match=says):
            services.add_custody_entry(sample, dana, **kwargs)
    assert CustodyEntry.objects.count() == 1
    entry = CustodyEntry.objects.get()
    entry.note = "改写"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


def test_the_purchase_must_be_recorded_completely(dana: User) -> None:
    task = planned_task(dana)
    with pytest.raises(services.LabError) as exc:
        services.record_purchase(
            task,
            dana,
            channel="ecommerce",
            purchased_on=None,
            shop_name="某店",
            purchase_record=None,
        )
    for says in ("网购须填写电商平台", "网购须填写订单号", "请填写购买日期", "请上传购买凭证"):
        assert says in exc.value.message_zh
    task.refresh_from_db()
    assert task.status == "planned"
    with pytest.raises(services.LabError, match="请先登记购买"):
        sealed_sample(task, dana)


def test_only_the_centre_and_the_city_bureau_run_tasks(bob: User, eve: User, dana: User) -> None:
    for user in (bob, eve):
        with pytest.raises(PermissionDenied, match="只有评估中心"):
            planned_task(user)
    task = bought_task(dana)
    with pytest.raises(PermissionDenied):
        sealed_sample(task, bob)


def test_a_result_already_recorded_is_not_recorded_twice(dana: User, received: Any) -> None:
    task, sample = received
    row = f"{sample.code},铅,GB 6675.4-2014,,≤90,mg/kg,12,"
    services.import_results(task, csv_upload(row), dana, lab=LAB, tested_on=today())
    with pytest.raises(ResultsRejected) as exc:
        services.import_results(task, csv_upload(row), dana, lab=LAB, tested_on=today())
    assert "已有检验结果" in exc.value.errors[0].message
    assert TestItem.objects.count() == 1 and ResultBatch.objects.count() == 1
