"""Deploy checks of our own security settings (``manage.py check --deploy``).

Django's checks cover cookies, HSTS and the TLS redirect; these cover what is ours: the
content security policy stays strict, passwords are hashed with Argon2, changes are logged
with their actor and webhook bodies are not signed with SECRET_KEY.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
AUDITLOG_MIDDLEWARE = "pqrisk.audit.middleware.AuditlogMiddleware"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")


@register(Tags.security, deploy=True)
def check_security_settings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    found: list[Warning] = []
    middleware = list(settings.MIDDLEWARE)
    if CSP_MIDDLEWARE not in middleware:
        found.append(
            Warning(
                f"未启用内容安全策略中间件 {CSP_MIDDLEWARE}。",
                hint="在 MIDDLEWARE 中保留它（见 docs/security.md）。",
                id="pqrisk.W001",
            )
        )
    directives = getattr(settings, "CONTENT_SECURITY_POLICY", {}).get("DIRECTIVES", {})
    script_src = [str(s) for s in directives.get("script-src", directives.get("default-src", []))]
    loose = [s for s in script_src if s in UNSAFE_SCRIPT_SOURCES]
    if not script_src or loose:
        found.append(
            Warning(
                "内容安全策略的 script-src 过宽：" + ("、".join(loose) or "未设置") + "。",
                hint="脚本只允许本站文件和每次请求的 nonce；内联脚本请加 "
                'nonce="{{ request.csp_nonce }}" 或移入静态文件。',
                id="pqrisk.W002",
            )
        )
    hashers = list(getattr(settings, "PASSWORD_HASHERS", []))
    if not hashers or hashers[0] != ARGON2:
        found.append(
            Warning(
                "新密码未使用 Argon2 散列。",
                hint=f"PASSWORD_HASHERS 的第一项应为 {ARGON2}。",
                id="pqrisk.W003",
            )
        )
    if AUDITLOG_MIDDLEWARE not in middleware:
        found.append(
            Warning(
                "字段变更日志（django-auditlog）记录不到操作人。",
                hint=f"在 AuthenticationMiddleware 之后加入 {AUDITLOG_MIDDLEWARE}。",
                id="pqrisk.W004",
            )
        )
    webhook = getattr(settings, "PQRISK_WEBHOOK_SECRET", "")
    if not webhook or webhook == settings.SECRET_KEY:
        found.append(
            Warning(
                "未设置 PQRISK_WEBHOOK_SECRET：风险警示的 webhook 签名将使用 SECRET_KEY，"
                "接收方核验签名就须知道本平台的 SECRET_KEY。",
                hint="由环境变量 PQRISK_WEBHOOK_SECRET 提供一个与 SECRET_KEY 不同的随机密钥。",
                id="pqrisk.W005",
            )
        )
    return found
