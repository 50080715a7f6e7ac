"""No secret is committed: every tracked file (``git ls-files``) is free of private keys,
SECRET_KEY literals outside the dev and test settings, secret-named settings with a literal
value, and passwords written into URLs.

The patterns are assembled from pieces so that this file does not match itself.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHES = "-" * 5
PRIVATE_KEY = re.compile(DASHES + r"BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY" + DASHES)
SECRET_KEY_LITERAL = re.compile(r"\bSECRET" + r"_KEY\s*[:=]\s*[bru]*[\"'][^\"']+[\"']")
# An UPPER_CASE setting or environment variable whose name ends like a secret's, given a
# literal: quoted in Python, bare or quoted in shell and env files.
SECRET_NAME = r"^\s*(?:export\s+)?[A-Z][A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY)"
SECRET_SETTING_PY = re.compile(
    SECRET_NAME + r"\s*(?::\s*str\s*)?=\s*[bru]*[\"'](?P<value>[^\"']+)[\"']", re.MULTILINE
)
SECRET_SETTING_ENV = re.compile(SECRET_NAME + r"\s*=\s*[\"']?(?P<value>[^\"'\s#]+)", re.MULTILINE)
ENV_SUFFIXES = (".env", ".sh", ".cfg", ".ini", ".yml", ".yaml", ".conf")
URL_WITH_PASSWORD = re.compile(
    r"\b[a-z][a-z0-9+.-]*://(?P<user>[^/\s:@\"'<>]+):(?P<password>[^/\s@\"'<>]+)@"
)
# Documentation placeholders and RabbitMQ's guest account (it only works from localhost).
PLACEHOLDER_CREDENTIALS = {("user", "pass"), ("user", "password"), ("guest", "guest")}
# …, ***, <password>, $VAR, ${VAR}, ${VAR:?message} and ${VAR:-default} stand for a value
# given elsewhere (the environment).
PLACEHOLDER_VALUE = re.compile(
    r"^(?:…+|\.\.\.|\*+|<[^>]*>|\$[A-Z_]+|\$\{[A-Z_]+(?::?[-?=][^}]*)?\}?|\"\"|'')$"
)
# Files allowed to hold a throwaway key literal: the shapes that never face the network.
KEY_LITERAL_ALLOWED = {"pqrisk/settings/dev.py", "pqrisk/settings/test.py"}
SKIPPED_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".xlsx", ".docx", ".pdf", ".joblib"}


def tracked_files() -> list[str]:
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:  # pragma: no cover - no git
        pytest.fail(f"git ls-files failed ({exc}): the secret scan needs a git checkout")
    return [p for p in done.stdout.decode().split("\0") if p]


def findings(path: str, text: str) -> list[str]:
    found = [f"{path}: private key" for _ in PRIVATE_KEY.finditer(text)]
    if path not in KEY_LITERAL_ALLOWED and not path.startswith("tests/"):
        found += [f"{path}: {m.group(0)[:40]}…" for m in SECRET_KEY_LITERAL.finditer(text)]
    # Tests sign in their own fixture users with made-up passwords; those are no secrets.
    in_tests = path.startswith("tests/") or "/tests/" in path or path == "conftest.py"
    setting = SECRET_SETTING_PY if path.endswith(".py") else SECRET_SETTING_ENV
    if not in_tests and (path.endswith(".py") or path.endswith(ENV_SUFFIXES)):
        for m in setting.finditer(text):
            if not PLACEHOLDER_VALUE.match(m.group("value")):
                found.append(f"{path}: {m.group(0).strip()[:60]}")
    for m in URL_WITH_PASSWORD.finditer(text):
        pair = (m.group("user"), m.group("password"))
        if pair not in PLACEHOLDER_CREDENTIALS and not PLACEHOLDER_VALUE.match(pair[1]):
            found.append(f"{path}: password in URL {m.group(0)}")
    return found


def test_the_scanner_finds_what_it_looks_for() -> None:
    key = DASHES + "BEGIN OPENSSH PRIVATE KEY" + DASHES
    assert findings("id_ed25519", key + "\nb3BlbnNzaC1rZXktdjE=\n")
    assert findings("pqrisk/settings/prod.py", "SECRET" + '_KEY = "abc123"\n')
    assert not findings("pqrisk/settings/test.py", "SECRET" + '_KEY = "abc123"\n')
    assert findings("deploy/env.sh", "export EMAIL_HOST_" + "PASSWORD=hunter2\n")
    assert not findings(
        "pqrisk/settings/base.py", 'EMAIL_HOST_PASSWORD = os.environ.get("X", "")\n'
    )
    assert findings("README.md", "DATABASE_URL=postgres://pqrisk:" + "s3cr3t@db:5432/pqrisk")
    assert not findings("README.md", "amqp://user:" + "pass@host:5672//")
    assert not findings("README.md", "postgres://pqrisk@db.internal:5432/pqrisk")
    url = "postgresql://pqrisk:" + "${POSTGRES_PASSWORD}@postgres:5432/pqrisk"
    assert not findings("docker-compose.yml", f"DATABASE_URL: {url}")


def test_no_secret_is_committed() -> None:
    found: list[str] = []
    for path in tracked_files():
        file = ROOT / path
        if file.suffix.lower() in SKIPPED_SUFFIXES or not file.is_file():
            continue
        text = file.read_text(encoding="utf-8", errors="ignore")
        found += findings(path, text)
    assert found == [], "committed secrets:\n" + "\n".join(found)
