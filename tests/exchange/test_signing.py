"""The package's canonical form, hash and signature, without a database."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.exchange.signing import (
    Issuer,
    PackageRefused,
    build_package,
    canonical_bytes,
    key_id,
    normalized_public_key,
    package_hash,
    package_text,
    parse_package,
    public_key_text,
    verify_signature,
)

KEY = Ed25519PrivateKey.generate()
PUBLIC = public_key_text(KEY.public_key())

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


def package(body: dict[str, Any] | None = None, sequence: int = 1) -> dict[str, Any]:
    return build_package(
        package_id="ZJAMR-20261127-00001",
        issuer=Issuer("ZJAMR", "浙江省市场监督管理局"),
        created_at="2026-11-27T18:00:00+08:00",
        sequence=sequence,
        previous_hash=None if sequence == 1 else "a" * 64,
        body=body or {"warning": {"title": "电热水壶"}, "records": [], "disposal": {}},
        private_key=KEY,
    )


@given(json_values)
def test_the_canonical_form_survives_a_round_trip_through_any_json_text(value: Any) -> None:
    data = canonical_bytes(value)
    assert canonical_bytes(json.loads(data)) == data
    assert canonical_bytes(json.loads(json.dumps(value, indent=3, ensure_ascii=True))) == data


@given(json_values)
def test_a_package_of_any_body_verifies_after_reformatting(value: Any) -> None:
    signed = package({"warning": {"x": value}, "records": [value], "disposal": {}})
    reread = json.loads(json.dumps(signed, ensure_ascii=True, indent=1))
    verify_signature(reread, PUBLIC, "浙江")
    assert package_hash(reread) == package_hash(signed)
    assert parse_package(json.loads(package_text(signed))).sequence == 1


@given(st.text(min_size=1, max_size=30), st.data())
def test_any_changed_character_of_the_body_breaks_the_signature(title: str, data: Any) -> None:
    signed = package({"warning": {"title": title}, "records": [], "disposal": {}})
    i = data.draw(st.integers(0, len(title) - 1))
    changed = title[:i] + ("甲" if title[i] != "甲" else "乙") + title[i + 1 :]
    signed["body"]["warning"]["title"] = changed
    with pytest.raises(PackageRefused) as refused:
        verify_signature(signed, PUBLIC, "浙江")
    assert refused.value.code == "bad_signature"


def test_numbers_that_json_cannot_say_are_refused() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"x": math.nan})
    with pytest.raises(ValueError):
        canonical_bytes([math.inf])


def test_public_keys_are_read_as_base64_or_pem() -> None:
    from cryptography.hazmat.primitives import serialization

    pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert normalized_public_key(pem.decode()) == PUBLIC == normalized_public_key(f" {PUBLIC}\n")
    assert len(key_id(PUBLIC)) == 16
    for bad, words in (("abc", "Base64"), ("QUJD", "长度不对")):
        with pytest.raises(ValueError, match=words):
            normalized_public_key(bad)


def test_the_chain_fields_must_agree() -> None:
    first = package()
    first["header"]["previous_hash"] = "b" * 64
    with pytest.raises(PackageRefused, match="第 1 号共享包不应有上一包摘要"):
        parse_package(first)
    later = package(sequence=3)
    later["header"]["previous_hash"] = None
    with pytest.raises(PackageRefused, match="第 3 号共享包缺少上一包摘要"):
        parse_package(later)
