"""Content security policy (django-csp): the header is strict, every inline script and style
element carries the request's nonce, no template has an inline event handler, and the public
site still sets no cookie.

The template scan covers every page, including those no test renders; the rendered pages
check that the nonce in the HTML is the one in the header.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PUDONG
from pqrisk.accounts.models import User
from pqrisk.web.tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
NONCE_ATTRIBUTE = 'nonce="{{ request.csp_nonce }}"'
# Rendered to PDF by WeasyPrint (render_to_string, no request), never served to a browser.
PDF_ONLY_TEMPLATES = {
    "pqrisk/warnings/templates/warnings/documents/document.html",
    "pqrisk/bulletins/templates/bulletins/bulletin.html",
}
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_OR_STYLE_TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
DATA_SCRIPT_TYPES = ("application/json", "application/ld+json", "text/template")


def templates() -> list[Path]:
    return sorted(p for p in (ROOT / "pqrisk").glob("**/templates/**/*.html"))


def template_problems(path: str, text: str) -> list[str]:
    problems = [
        f"{path}: inline event handler {m.group(0)[-40:]!r}" for m in INLINE_HANDLER.finditer(text)
    ]
    if path in PDF_ONLY_TEMPLATES:
        return problems
    for m in SCRIPT_OR_STYLE_TAG.finditer(text):
        tag, attrs = m.group(1).lower(), m.group(2)
        if tag == "script" and ("src=" in attrs or any(t in attrs for t in DATA_SCRIPT_TYPES)):
            continue
        if NONCE_ATTRIBUTE not in attrs:
            problems.append(f"{path}: <{tag}{attrs}> without {NONCE_ATTRIBUTE}")
    return problems


def test_the_template_scan_finds_what_it_looks_for() -> None:
    assert template_problems("t.html", '<select onchange="this.form.submit()">')
    assert template_problems("t.html", "<script>alert(1)</script>")
    assert template_problems("t.html", "<style>p { color: red }</style>")
    assert not template_problems("t.html", f"<script {NONCE_ATTRIBUTE}>go()</script>")
    assert not template_problems("t.html", '<script src="/static/x.js" defer></script>')
    assert not template_problems("t.html", '<script type="application/json" id="d">{}</script>')
    assert not template_problems("t.html", '<select data-autosubmit name="online">')


def test_no_template_has_an_unsigned_inline_script_or_handler() -> None:
    problems = [
        problem
        for path in templates()
        for problem in template_problems(str(path.relative_to(ROOT)), path.read_text())
    ]
    assert problems == []


def directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class InlineElements(HTMLParser):
    """The nonce of each inline <script> (not data blocks) and <style> element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[tuple[str, str | None]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.handlers += [name for name in a if name.startswith("on")]
        if tag == "style" or (
            tag == "script" and "src" not in a and a.get("type") not in DATA_SCRIPT_TYPES
        ):
            self.inline.append((tag, a.get("nonce")))


def test_the_policy_is_strict(client: Client, db: Any) -> None:
    response = client.get(reverse("accounts:login"))
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert "'self'" in policy["script-src"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_each_inline_script_of_a_page_carries_the_headers_nonce(
    client: Client, alice: User
) -> None:
    enterprise = f.enterprise(PUDONG, name="上海暖居电器有限公司")
    client.force_login(alice)
    pages = [
        reverse("web:home"),
        reverse("web:dashboard"),
        reverse("web:inbox"),
        reverse("web:enterprise_detail", args=[enterprise.pk]),
    ]
    seen_inline = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        parser = InlineElements()
        parser.feed(html)
        assert parser.handlers == [], (url, parser.handlers)
        if not parser.inline:
            continue
        seen_inline += len(parser.inline)
        script_src = directives(response)["script-src"]
        nonces = {nonce for _, nonce in parser.inline}
        assert len(nonces) == 1 and None not in nonces, (url, parser.inline)
        (nonce,) = nonces
        assert f"'nonce-{nonce}'" in script_src, url
        assert f"'nonce-{nonce}'" in directives(response)["style-src"], url
        assert '"includeIndicatorStyles": false' in html  # htmx adds no <style> of its own
    assert seen_inline, "none of the pages had an inline script to check"
    first, second = (directives(client.get(reverse("web:dashboard"))) for _ in range(2))
    assert first["script-src"] != second["script-src"], "a nonce serves one response only"


@pytest.mark.django_db
def test_the_public_site_keeps_its_policy_and_sets_no_cookie() -> None:
    client = Client()
    response = client.get(reverse("web:public_advisories"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies
    policy = directives(response)
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_api_docs_are_served_from_our_own_files(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
