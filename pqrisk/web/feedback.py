"""What a POST view tells the user when it cannot do what was asked (Django messages)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest


def form_refused(request: HttpRequest, form: Any) -> bool:
    """True (and the form's errors shown) when ``form`` is not valid."""
    if form.is_valid():
        return False
    errors = "；".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, f"提交内容有误：{errors}")
    return True


def service_error(request: HttpRequest, exc: Exception) -> None:
    """A service's refusal in its Chinese words (``message_zh``), or the permission's."""
    text = getattr(exc, "message_zh", None) or (str(exc) if str(exc) else "无权执行该操作")
    messages.error(request, text)
