"""Every URL pattern of the project, enumerated from the resolver, and how to fill it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .access_rules import RULES, Rule


@dataclass(frozen=True)
class Endpoint:
    name: str  # "namespace:name", or "admin:*" / "static" for the groups with one rule
    route: str  # the pattern, for messages

    @property
    def rule(self) -> Rule | None:
        return RULES.get(self.name)


def _walk(patterns: list[Any], prefix: str, namespace: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            found += _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            found.append((name, prefix + str(p.pattern)))
    return found


def endpoints() -> list[Endpoint]:
    """Every pattern of the URL conf; the admin's hundreds of patterns (one rule: staff only)
    and static files collapse into one entry each."""
    seen: dict[str, Endpoint] = {}
    for name, route in _walk(get_resolver().url_patterns, "", ""):
        if route.startswith("admin/"):
            name = "admin:*"
        elif route.startswith("static/") or route.startswith("media/"):
            name = "static"
        elif not name:
            name = f"<unnamed {route}>"
        seen.setdefault(name, Endpoint(name, route))
    return list(seen.values())


def url_for(name: str, rule: Rule, rows: dict[str, Any]) -> str:
    """The URL with its arguments: a row's pk, a row's attribute (``key@attr``) or a literal
    (``=value``)."""
    kwargs: dict[str, Any] = {}
    for arg, source in rule.args.items():
        if source.startswith("="):
            kwargs[arg] = source[1:]
        elif "@" in source:
            key, attr = source.split("@", 1)
            kwargs[arg] = getattr(rows[key], attr)
        else:
            kwargs[arg] = rows[source].pk
    if name == "admin:*":
        return reverse("admin:index")
    url = reverse(name, kwargs=kwargs)
    if rule.query:
        url += "?" + rule.query.format(**{k: getattr(v, "pk", v) for k, v in rows.items()})
    return url
