"""Model files of the domain core: a scikit-learn estimator pickled beside plain metadata.

The file is a joblib dict ``{"format", "format_version", "metadata", <key>: pickled bytes}``:
the metadata (plain values) can be read and checked — format, version, the scikit-learn
version it was trained with — before any scikit-learn object is unpickled. Written
atomically, so a crash leaves the old file. Used by the text classifiers
(``pqrisk.core.screening.classify``) and the risk-judgement model
(``pqrisk.core.assessment.judgement``).

Loading a model file unpickles it: only load files this platform wrote.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import sklearn

# Builds the caller's error from an English message (logs) and a Chinese one (users).
ErrorFactory = Callable[[str, str], Exception]


def write_model_file(
    path: str | os.PathLike[str],
    *,
    fmt: str,
    version: int,
    metadata: dict[str, Any],
    estimator: Any,
    key: str,
) -> None:
    """Write ``estimator`` and its ``metadata`` to ``path`` atomically."""
    path = Path(path)
    inner = io.BytesIO()
    joblib.dump(estimator, inner)
    payload = {
        "format": fmt,
        "format_version": version,
        "metadata": metadata,
        key: inner.getvalue(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its 0600 mode would leave the model unreadable to the web server's user;
    # "x" mode creates the file with the umask's permissions and never reuses a name.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("xb") as fh:
            joblib.dump(payload, fh, compress=("zlib", 6))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_model_file(
    path: str | os.PathLike[str],
    *,
    fmt: str,
    version: int,
    key: str,
    what_zh: str,
    error: ErrorFactory,
) -> tuple[dict[str, Any], bytes]:
    """The metadata and the pickled estimator of a file ``write_model_file`` wrote, without
    unpickling the estimator. A missing file raises FileNotFoundError; a file of another
    format or version, ``error(...)`` (``what_zh`` names the model for users)."""
    path = Path(path)
    not_ours = f"{path} 不是本平台保存的{what_zh}文件"
    try:
        payload = joblib.load(path)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise error(f"{path} is not a {fmt} file ({exc})", not_ours) from exc
    if not isinstance(payload, dict) or payload.get("format") != fmt or key not in payload:
        raise error(f"{path} is not a {fmt} file", not_ours)
    if payload.get("format_version") != version:
        found = payload.get("format_version")
        raise error(
            f"{path} has format version {found!r}, this is {version}: retrain the model",
            f"{what_zh}文件 {path} 的格式版本为 {found}，当前为 {version}，请重新训练",
        )
    return payload["metadata"], payload[key]


def check_sklearn_version(
    trained_with: str,
    path: str | os.PathLike[str],
    *,
    what_zh: str,
    retrain_en: str,
    retrain_zh: str,
    error: ErrorFactory,
) -> None:
    """Refuse a model trained with another scikit-learn: its pickled estimators may not
    load, or may silently predict otherwise."""
    if trained_with != sklearn.__version__:
        raise error(
            f"{path} was trained with scikit-learn {trained_with}; this is scikit-learn "
            f"{sklearn.__version__}: {retrain_en}",
            f"{what_zh}文件 {path} 由 scikit-learn {trained_with} 训练，当前安装的是 "
            f"{sklearn.__version__}，不能直接使用。{retrain_zh}",
        )


def unpickle(blob: bytes) -> Any:
    return joblib.load(io.BytesIO(blob))
