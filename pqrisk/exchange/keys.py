"""The platform's own Ed25519 signing key for 长三角 sharing packages.

The private key is a PEM file outside the repository: ``PQRISK_EXCHANGE_KEY_FILE`` (setting or
environment variable), by default ``VAR_DIR/keys/exchange_ed25519.pem``, readable by its
owner only. ``pqrisk yrd keygen`` creates it; the first export creates it when missing, so a
demo needs no step. Partners register the public key (``pqrisk yrd public-key``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from .signing import key_id, public_key_text

KEY_FILE_NAME = "exchange_ed25519.pem"


class SigningKeyError(Exception):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def key_path() -> Path:
    configured = getattr(settings, "PQRISK_EXCHANGE_KEY_FILE", None) or os.environ.get(
        "PQRISK_EXCHANGE_KEY_FILE"
    )
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "keys" / KEY_FILE_NAME


def generate_key(*, replace: bool = False) -> Path:
    """Write a new private key file (0600); refuse to overwrite one unless ``replace``."""
    path = key_path()
    if path.exists() and not replace:
        raise SigningKeyError(
            f"签名私钥已存在：{path}。更换密钥后合作单位须重新登记本平台公钥；"
            "确需更换请加 --replace"
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    tmp.replace(path)
    return path


def load_private_key(*, create: bool = False) -> Ed25519PrivateKey:
    """The platform's private key; created first when missing and ``create``."""
    path = key_path()
    if not path.exists():
        if not create:
            raise SigningKeyError(f"尚未生成签名私钥（{path}），请先运行 pqrisk yrd keygen")
        generate_key()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"签名私钥文件无法读取：{path}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"签名私钥文件不是 Ed25519 私钥：{path}")
    return key


def own_public_key(*, create: bool = False) -> str:
    """Our public key as partners register it (base64 of 32 bytes)."""
    return public_key_text(load_private_key(create=create).public_key())


def own_key_id(*, create: bool = False) -> str:
    return key_id(own_public_key(create=create))
