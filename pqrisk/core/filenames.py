"""Uploaded file names as metadata: never a path, never a trick. No Django here.

Uploads are stored under generated names; the name the sender gave is only shown (a
feedback's attachment list, a quarantine location) and must then be harmless: no directory
part (``../../etc/passwd``, ``..\\..\\x``, ``C:\\x``), no NUL or control characters, no
bidirectional overrides that make ``exe.pdf`` read as ``fdp.exe``, no zero-width characters,
and a bounded length that keeps the suffix.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

MAX_NAME = 200
UNNAMED = "未命名文件"
# Bidirectional embeddings, overrides and isolates (Unicode TR9), zero-width characters and
# the BOM: invisible, and the first set reorders what a person reads.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SUFFIX = re.compile(r"[a-z0-9]{1,8}")


def display_name(name: object, *, limit: int = MAX_NAME) -> str:
    """The last part of ``name`` with nothing in it that could act as a path or deceive."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _INVISIBLE.sub("", text)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.strip().strip(".").strip()
    if not text:
        return UNNAMED
    if len(text) > limit:
        stem, dot, suffix = text.rpartition(".")
        if dot and 0 < len(suffix) <= 8:
            text = stem[: limit - len(suffix) - 2] + "…." + suffix
        else:
            text = text[: limit - 1] + "…"
    return text


def safe_suffix(name: object, default: str = "bin") -> str:
    """The lower-case suffix of ``name`` if it is plain letters and digits, else ``default``."""
    shown = display_name(name)
    suffix = shown.rsplit(".", 1)[-1].lower() if "." in shown else ""
    return suffix if _SUFFIX.fullmatch(suffix) else default


def stored_name(folder: str, name: object, default_suffix: str = "bin") -> str:
    """A generated storage path under ``folder`` keeping only a plain suffix of ``name``:
    the name a sender gave may be internal or hostile, so it never becomes a path."""
    return f"{folder}/{secrets.token_hex(12)}.{safe_suffix(name, default_suffix)}"
