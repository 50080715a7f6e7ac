"""Security settings: ``check --deploy`` is clean with a bureau's environment, the production
settings read everything secret from the environment, passwords are hashed with Argon2 and
old PBKDF2 hashes are upgraded at login.

The deploy check runs in a subprocess with ``pqrisk.settings.prod`` and an environment made
for the test (a fresh random key, no password anywhere), never the caller's.
"""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password
from django.test import override_settings
from django.urls import reverse

from pqrisk.accounts.models import User
from pqrisk.settings import base

ROOT = Path(__file__).resolve().parents[2]


def bureau_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """What a bureau sets (docs/security.md): a 60+ character random key, the database and
    hosts; the database password is not in the URL (PGPASSWORD or a .pgpass file)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "pqrisk.settings.prod",
        "PQRISK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "PQRISK_WEBHOOK_SECRET": secrets.token_urlsafe(40),
        "DATABASE_URL": "postgresql://pqrisk@db.internal:5432/pqrisk",
        "DJANGO_ALLOWED_HOSTS": "risk.example.gov.cn",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_deploy_check_is_clean_with_a_bureaus_environment(tmp_path: Path) -> None:
    done = manage(bureau_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_the_deploy_check_names_what_a_careless_environment_gets_wrong(tmp_path: Path) -> None:
    env = bureau_environment(tmp_path, PQRISK_HTTPS="0", PQRISK_WEBHOOK_SECRET="")
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    report = done.stdout + done.stderr
    assert "security.W012" in report  # session cookie without Secure
    assert "security.W016" in report  # CSRF cookie without Secure
    assert "pqrisk.W005" in report and "PQRISK_WEBHOOK_SECRET" in report


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = manage(bureau_environment(tmp_path, DJANGO_SECRET_KEY=""), "check")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in done.stderr
    assert not (tmp_path / "var" / "secret_key").exists()  # no key made up on the way


PROD_SWITCHES = (
    "PQRISK_SSL_REDIRECT",
    "PQRISK_PROXY_SSL_HEADER",
    "PQRISK_PROXY_COUNT",
    "PQRISK_HTTPS",
    "PQRISK_HSTS_SECONDS",
    "PQRISK_HSTS_INCLUDE_SUBDOMAINS",
    "PQRISK_HSTS_PRELOAD",
)


def _prod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Any:
    """The production settings module, executed (in this process) with ``env``."""
    for name in PROD_SWITCHES:
        monkeypatch.delenv(name, raising=False)
    wanted = bureau_environment(tmp_path, **env)
    for name, value in wanted.items():
        if name.startswith(("PQRISK_", "DJANGO_SECRET_KEY", "DATABASE_URL")):
            monkeypatch.setenv(name, value)
    # base.py reads the environment too; the running Django keeps its own settings object.
    importlib.reload(base)
    if "pqrisk.settings.prod" in sys.modules:
        return importlib.reload(sys.modules["pqrisk.settings.prod"])
    return importlib.import_module("pqrisk.settings.prod")


def test_production_defaults_are_https_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prod = _prod(monkeypatch, tmp_path)
    assert prod.DEBUG is False
    assert os.environ["DJANGO_SECRET_KEY"] == prod.SECRET_KEY
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert prod.SESSION_COOKIE_SECURE and prod.SESSION_COOKIE_HTTPONLY
    assert prod.CSRF_COOKIE_SECURE
    assert prod.X_FRAME_OPTIONS == "DENY"
    assert prod.SECURE_REFERRER_POLICY == "same-origin"
    assert not hasattr(prod, "SECURE_PROXY_SSL_HEADER") or prod.SECURE_PROXY_SSL_HEADER is None
    assert os.environ["PQRISK_WEBHOOK_SECRET"] == prod.PQRISK_WEBHOOK_SECRET


def test_behind_a_tls_proxy_the_environment_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prod = _prod(
        monkeypatch,
        tmp_path,
        PQRISK_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO=https",
        PQRISK_SSL_REDIRECT="0",
        PQRISK_HSTS_SECONDS="300",
        PQRISK_PROXY_COUNT="1",
    )
    assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert prod.SECURE_SSL_REDIRECT is False
    assert prod.SECURE_HSTS_SECONDS == 300
    assert prod.AXES_IPWARE_PROXY_COUNT == 1


def test_a_mistyped_switch_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="PQRISK_SSL_REDIRECT"):
        _prod(monkeypatch, tmp_path, PQRISK_SSL_REDIRECT="maybe")


def test_sessions_last_a_working_day_and_cookies_stay_out_of_scripts() -> None:
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert settings.MIDDLEWARE.index("pqrisk.audit.middleware.AuditlogMiddleware") > (
        settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    )


def test_new_passwords_are_hashed_with_argon2() -> None:
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password("correct-horse-battery")
        assert identify_hasher(encoded).algorithm == "argon2"
        assert encoded.startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_still_works_and_is_upgraded_at_login(client: Any) -> None:
    # A hash made before the switch (few iterations keep the test fast; they are in the hash).
    old = PBKDF2PasswordHasher().encode("correct-horse-battery", "oldsalt1234", iterations=1000)
    user = User.objects.create(username="grace", password=old)
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        response = client.post(
            reverse("accounts:login"),
            {"username": "grace", "password": "correct-horse-battery"},
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
