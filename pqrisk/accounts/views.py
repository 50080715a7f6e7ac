"""Sign-in and sign-out pages (Django's own views; django-axes throttles failed logins)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "invalid_login": "用户名或密码错误。请注意密码区分大小写；连续失败5次将临时锁定账户。",
            "inactive": "该账户已停用，请联系市局管理员。",
        }
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): the header's 退出 button sends the form with its CSRF token."""
