"""The Yangtze River Delta (长三角) sharing package, without Django: canonical form, hash
chain and Ed25519 signature (docs/exchange.md, 长三角共享包).

A package is one JSON object::

    {"format": "pqrisk-yrd-package", "version": 1,
     "header": {package_id, issuer {code, name}, created_at, sequence, previous_hash, key_id},
     "body": {"warning": {...}, "records": [...], "disposal": {...}},
     "signature": {"algorithm": "Ed25519", "key_id": ..., "value": base64}}

What is signed (and hashed) is the canonical form of the object *without* ``signature``:
JSON with keys sorted, no insignificant whitespace, UTF-8 (not \\u escapes), integers as
integers and finite floats in Python's shortest round-trip form (``18.7``), NaN/Infinity
refused. The signature therefore travels in the same file but is detached from what it
signs: the file may be pretty-printed or re-ordered and still verifies, while one changed
character of content does not. Each issuer's packages form a chain: ``sequence`` counts its
packages from 1 and ``previous_hash`` is the hash of the one before (null for the first), so
a receiver notices a package missing, replayed or out of order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PACKAGE_FORMAT = "pqrisk-yrd-package"
PACKAGE_VERSION = 1
SUPPORTED_VERSIONS = (1,)
ALGORITHM = "Ed25519"
SIGNATURE_KEY = "signature"
HASH_HEX = re.compile(r"[0-9a-f]{64}")
KEY_ID_CHARS = 16  # hex characters of the public key's SHA-256 that name the key
PUBLIC_KEY_BYTES = 32
MAX_PACKAGE_ID = 80


class PackageRefused(Exception):
    """Why a package is not accepted: a code for the record and a message a person can act on."""

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh


def _check_numbers(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("non-finite number in a package")
    if isinstance(value, Mapping):
        for v in value.values():
            _check_numbers(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_numbers(v)


def canonical_bytes(obj: Any) -> bytes:
    """The one serialisation of ``obj`` that is signed and hashed (see the module docstring)."""
    _check_numbers(obj)
    return json.dumps(
        obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def signed_part(package: Mapping[str, Any]) -> dict[str, Any]:
    """The package without its signature: what the signature and the hash cover."""
    return {k: v for k, v in package.items() if k != SIGNATURE_KEY}


def package_hash(package: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the signed part: the package's name in the issuer's hash chain."""
    return hashlib.sha256(canonical_bytes(signed_part(package))).hexdigest()


# ---------------------------------------------------------------- keys


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as partners register it: base64 of its 32 raw bytes (44 characters)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(public_key: str) -> str:
    """A short name of a public key (first 16 hex of SHA-256 of the raw bytes)."""
    raw = base64.b64decode(public_key)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_CHARS]


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key given as base64 of 32 raw bytes or as a PEM block; ValueError (Chinese
    message) otherwise."""
    text = (text or "").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise ValueError("公钥 PEM 内容无法解析") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("公钥不是 Ed25519 公钥")
        return key
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("公钥应为 44 个字符的 Base64 文本（或 PEM 格式）") from exc
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(f"公钥长度不对：应为 {PUBLIC_KEY_BYTES} 字节，实际 {len(raw)} 字节")
    return Ed25519PublicKey.from_public_bytes(raw)


def normalized_public_key(text: str) -> str:
    """The base64 form of a public key given in either accepted form."""
    return public_key_text(parse_public_key(text))


# ---------------------------------------------------------------- build and sign


@dataclass(frozen=True)
class Issuer:
    code: str
    name: str


def build_package(
    *,
    package_id: str,
    issuer: Issuer,
    created_at: str,
    sequence: int,
    previous_hash: str | None,
    body: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """A signed package (the signature over the canonical form of everything else)."""
    kid = key_id(public_key_text(private_key.public_key()))
    unsigned = {
        "format": PACKAGE_FORMAT,
        "version": PACKAGE_VERSION,
        "header": {
            "package_id": package_id,
            "issuer": {"code": issuer.code, "name": issuer.name},
            "created_at": created_at,
            "sequence": sequence,
            "previous_hash": previous_hash,
            "key_id": kid,
        },
        "body": dict(body),
    }
    value = private_key.sign(canonical_bytes(unsigned))
    return {
        **unsigned,
        SIGNATURE_KEY: {
            "algorithm": ALGORITHM,
            "key_id": kid,
            "value": base64.b64encode(value).decode("ascii"),
        },
    }


def package_text(package: Mapping[str, Any]) -> str:
    """The file as written: readable (indented, keys sorted); any formatting verifies."""
    return json.dumps(package, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False) + "\n"


# ---------------------------------------------------------------- read and verify


@dataclass(frozen=True)
class PackageHeader:
    package_id: str
    issuer: Issuer
    created_at: str
    sequence: int
    previous_hash: str | None
    key_id: str


def _malformed(message_zh: str) -> PackageRefused:
    return PackageRefused("malformed", message_zh)


def _text(obj: Mapping[str, Any], key: str, what: str, limit: int = 200) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _malformed(f"共享包缺少{what}（{key}）")
    if len(value) > limit:
        raise _malformed(f"共享包的{what}（{key}）超过 {limit} 个字符")
    return value.strip()


def parse_package(obj: Any) -> PackageHeader:
    """Check a package's shape (not yet its signature); PackageRefused("malformed") if wrong."""
    if not isinstance(obj, Mapping):
        raise _malformed("不是长三角共享包：文件内容应为一个JSON对象")
    name = obj.get("format")
    if name != PACKAGE_FORMAT:
        shown = str(name)[:40] if name is not None else "（缺失）"
        raise _malformed(f"不是长三角共享包（format 为 {shown}，应为 {PACKAGE_FORMAT}）")
    version = obj.get("version")
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        raise _malformed(
            f"不支持的共享包版本：{str(version)[:20]}（本平台支持版本 {PACKAGE_VERSION}），"
            f"请对方按版本 {PACKAGE_VERSION} 重新导出"
        )
    header, body = obj.get("header"), obj.get("body")
    if not isinstance(header, Mapping):
        raise _malformed("共享包缺少包头（header 应为对象）")
    if not isinstance(body, Mapping):
        raise _malformed("共享包缺少包体（body 应为对象）")
    issuer = header.get("issuer")
    if not isinstance(issuer, Mapping):
        raise _malformed("共享包包头缺少签发单位（header.issuer 应为含 code、name 的对象）")
    sequence = header.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise _malformed("共享包包头的序号（header.sequence）应为从 1 起的整数")
    previous = header.get("previous_hash")
    if previous is not None and (not isinstance(previous, str) or not HASH_HEX.fullmatch(previous)):
        raise _malformed("共享包包头的上一包摘要（header.previous_hash）应为64位十六进制或 null")
    if sequence == 1 and previous is not None:
        raise _malformed("第 1 号共享包不应有上一包摘要（header.previous_hash 应为 null）")
    if sequence > 1 and previous is None:
        raise _malformed(f"第 {sequence} 号共享包缺少上一包摘要（header.previous_hash）")
    signature = obj.get(SIGNATURE_KEY)
    if not isinstance(signature, Mapping):
        raise PackageRefused("unsigned", "共享包没有签名（signature），不能确认来源，拒绝接收")
    if signature.get("algorithm") != ALGORITHM:
        raise PackageRefused(
            "bad_signature",
            f"签名算法应为 {ALGORITHM}，实际为 {str(signature.get('algorithm'))[:20]}",
        )
    if not isinstance(signature.get("value"), str):
        raise PackageRefused("unsigned", "共享包的签名值（signature.value）缺失")
    for part, what in (("warning", "预警"), ("disposal", "处置情况")):
        if not isinstance(body.get(part), Mapping):
            raise _malformed(f"共享包包体缺少{what}（body.{part} 应为对象）")
    if not isinstance(body.get("records"), list):
        raise _malformed("共享包包体缺少风险信息记录（body.records 应为数组）")
    return PackageHeader(
        package_id=_text(header, "package_id", "包编号", MAX_PACKAGE_ID),
        issuer=Issuer(
            _text(issuer, "code", "签发单位代码", 32), _text(issuer, "name", "签发单位名称")
        ),
        created_at=_text(header, "created_at", "签发时间", 40),
        sequence=sequence,
        previous_hash=previous,
        key_id=str(header.get("key_id") or signature.get("key_id") or "")[:KEY_ID_CHARS],
    )


def verify_signature(package: Mapping[str, Any], public_key: str, issuer_name: str) -> None:
    """Raise PackageRefused("bad_signature") unless the package was signed by ``public_key``
    and is unchanged since."""
    signature = package[SIGNATURE_KEY]
    expected = key_id(public_key)
    claimed = signature.get("key_id")
    try:
        value = base64.b64decode(str(signature.get("value")), validate=True)
    except (binascii.Error, ValueError):
        raise PackageRefused(
            "bad_signature", "签名值不是有效的 Base64 文本，共享包已损坏"
        ) from None
    try:
        parse_public_key(public_key).verify(value, canonical_bytes(signed_part(package)))
    except (InvalidSignature, ValueError):
        if claimed and claimed != expected:
            raise PackageRefused(
                "wrong_key",
                f"签名验证失败：共享包由密钥 {str(claimed)[:KEY_ID_CHARS]} 签署，"
                f"与登记的{issuer_name}公钥（{expected}）不一致。"
                "若对方已更换密钥，请核实后在“合作单位”中更新其公钥",
            ) from None
        raise PackageRefused(
            "bad_signature",
            f"签名验证失败：共享包内容在签名后被改动，或不是{issuer_name}签发的，拒绝接收。"
            "请向对方重新索取原始文件",
        ) from None
