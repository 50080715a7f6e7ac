"""The 长三角共享 pages, API and shell commands: who sees and does what, and what they are told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pqrisk.accounts.models import User
from pqrisk.cli import main
from pqrisk.exchange import yrd
from pqrisk.exchange.choices import PackageDirection, PackageStatus
from pqrisk.exchange.models import ExchangePackage, Partner
from pqrisk.warnings.models import Warning

from .yrd_story import as_zhejiang, register_zhejiang, zhejiang_exports, zhejiang_public_key

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, name: str, content: str) -> Any:
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="application/json")
    return client.post(reverse("web:exchange_import"), {"file": file}, follow=True)


def test_the_city_sees_the_packages_and_a_district_officer_does_not(
    alice: User, bob: User, frank: User
) -> None:
    assert client_for(alice).get(reverse("web:exchange_list")).status_code == 200
    assert client_for(bob).get(reverse("web:exchange_list")).status_code == 403
    page = client_for(frank).get(reverse("web:exchange_list")).content.decode()
    assert "导入合作单位的共享包" in page and "核验并导入" in page
    assert (
        "只有市局管理员可以导入"
        in client_for(alice).get(reverse("web:exchange_list")).content.decode()
    )


def test_a_supervisor_signs_a_package_from_the_warning_and_downloads_it(
    shared_warning: Warning, alice: User
) -> None:
    client = client_for(alice)
    response = client.post(reverse("web:exchange_export", args=[shared_warning.pk]), follow=True)
    row = ExchangePackage.objects.get(direction=PackageDirection.SENT)
    assert response.redirect_chain[-1][0] == reverse("web:exchange_detail", args=[row.pk])
    page = response.content.decode()
    assert "已签发长三角共享包" in page and shared_warning.title in page and "浦东新区" in page
    download = client.get(reverse("web:exchange_download", args=[row.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="{row.package_id}.json"'
    assert download.content.decode() == row.content


def test_a_district_officer_cannot_sign_a_package(shared_warning: Warning, bob: User) -> None:
    response = client_for(bob).post(reverse("web:exchange_export", args=[shared_warning.pk]))
    assert response.status_code == 403
    assert not ExchangePackage.objects.exists()


def test_the_admin_imports_a_package_and_sees_the_partner_warning(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)

    response = upload(client_for(frank), "浙江-预警.json", sent.content)

    row = ExchangePackage.objects.get(direction=PackageDirection.RECEIVED)
    assert row.status == PackageStatus.ACCEPTED
    page = response.content.decode()
    assert "已接收浙江省市场监督管理局长三角共享包" in page and "签名已验证" in page
    assert shared_warning.title in page and "导入的风险信息" in page and "ZJAMR:" in page


def test_a_tampered_upload_is_refused_in_chinese(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User
) -> None:
    (sent,) = zhejiang_exports(settings, tmp_path, shared_warning, alice)
    register_zhejiang(settings, tmp_path, frank)
    package = json.loads(sent.content)
    package["body"]["warning"]["title"] += "。"

    response = upload(client_for(frank), "x.json", json.dumps(package, ensure_ascii=False))

    page = response.content.decode()
    assert "长三角共享包未被接收：签名验证失败" in page and "隔离区" in page
    assert ExchangePackage.objects.get(direction="received").status == PackageStatus.REFUSED


def test_only_the_admin_may_upload(alice: User) -> None:
    response = upload(client_for(alice), "x.json", "{}")
    assert response.status_code == 403


def test_the_admin_registers_a_partner_and_others_only_look(
    frank: User, alice: User, tmp_path: Path, settings: Any
) -> None:
    key = zhejiang_public_key(settings, tmp_path)
    url = reverse("web:exchange_partners")
    data = {"code": "ZJAMR", "name": "浙江省市场监督管理局", "province": "浙江省"}
    refused = client_for(frank).post(url, {**data, "public_key": "不是公钥", "active": "on"})
    assert "公钥无效" in refused.content.decode() and not Partner.objects.exists()

    saved = client_for(frank).post(url, {**data, "public_key": key, "active": "on"}, follow=True)
    partner = Partner.objects.get(code="ZJAMR")
    assert partner.active and f"公钥指纹 {partner.key_id}" in saved.content.decode()

    assert client_for(alice).post(url, {**data, "public_key": key}).status_code == 403
    assert "登记或更新合作单位" not in client_for(alice).get(url).content.decode()
    client_for(frank).post(reverse("web:exchange_partner_active", args=[partner.pk]))
    partner.refresh_from_db()
    assert not partner.active


def test_the_shell_makes_a_key_exports_and_imports(
    settings: Any, tmp_path: Path, shared_warning: Warning, our_key: Path
) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["yrd", "keygen"])
    assert made.exit_code == 0, made.output
    assert "公钥指纹" in made.output and our_key.exists()
    again = runner.invoke(main, ["yrd", "keygen"])
    assert again.exit_code != 0 and "已存在" in again.output

    out = tmp_path / "pkg.json"
    with as_zhejiang(settings, tmp_path):
        assert runner.invoke(main, ["yrd", "keygen"]).exit_code == 0
        key = runner.invoke(main, ["yrd", "public-key"]).output.strip().splitlines()[-1]
        exported = runner.invoke(main, ["yrd", "export", str(shared_warning.pk), "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "已签发长三角共享包 ZJAMR-" in exported.output and out.exists()

    registered = runner.invoke(
        main,
        [
            "yrd",
            "partner",
            "ZJAMR",
            "--name",
            "浙江省市场监督管理局",
            "--province",
            "浙江省",
            "--key",
            key,
        ],
    )
    assert registered.exit_code == 0, registered.output
    imported = runner.invoke(main, ["yrd", "import", str(out), "--screen"])
    assert imported.exit_code == 0, imported.output
    assert "签名已验证" in imported.output and "筛查完成" in imported.output
    replay = runner.invoke(main, ["yrd", "import", str(out)])
    assert replay.exit_code == 1 and "不重复导入" in replay.output
    assert "ZJAMR" in runner.invoke(main, ["yrd", "partners"]).output


def test_every_key_of_a_package_is_documented(shared_warning: Warning, alice: User) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "exchange.md").read_text("utf-8")
    package = json.loads(yrd.export_package(shared_warning, user=alice).content)
    keys = {*package, *package["header"], *package["signature"], *package["body"]}
    keys |= set(package["body"]["warning"]) | set(package["body"]["disposal"]["totals"])
    for key in sorted(keys):
        assert f"`{key}`" in doc, key
    for code in ("pqrisk yrd keygen", "pqrisk yrd import", "PQRISK_EXCHANGE_KEY_FILE"):
        assert code in doc


def test_the_api_signs_and_imports_packages(
    settings: Any, tmp_path: Path, shared_warning: Warning, alice: User, frank: User, bob: User
) -> None:
    url = f"/api/exchange/yrd/export/{shared_warning.pk}"
    assert client_for(bob).post(url).status_code == 403
    with as_zhejiang(settings, tmp_path):
        signed = client_for(alice).post(url)
    assert signed.status_code == 200
    package = signed.json()
    assert package["header"]["issuer"]["code"] == "ZJAMR"
    register_zhejiang(settings, tmp_path, frank)

    assert client_for(alice).post("/api/exchange/yrd/import").status_code == 403
    body = json.dumps(package, ensure_ascii=False)
    accepted = client_for(frank).post(
        "/api/exchange/yrd/import", body, content_type="application/json"
    )
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted" and accepted.json()["verified"]

    again = client_for(frank).post(
        "/api/exchange/yrd/import", body, content_type="application/json"
    )
    assert again.status_code == 422
    assert again.json()["refusal"] == "replay" and "不重复导入" in again.json()["detail"]


def test_every_refusal_is_documented() -> None:
    from pqrisk.exchange.choices import RefusalCode

    doc = (Path(__file__).resolve().parents[2] / "docs" / "exchange.md").read_text("utf-8")
    for code in RefusalCode:
        assert f"{code.label} `{code.value}`" in doc, code
