"""PDF from HTML with WeasyPrint. It needs Pango and a CJK font from the system (Debian
``libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk``, installed by ``make install``); without
them WeasyPrint cannot even be imported, and ``pdf_unavailable`` says why."""

from __future__ import annotations

from functools import cache


@cache
def pdf_unavailable() -> str | None:
    """None when PDFs can be made, else the reason (missing libraries) for a person to act on."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"WeasyPrint 不可用（需要 Pango 与中文字体，见 make install）：{exc}"
    return None


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html`` (A4 and fonts come from the page's CSS)."""
    reason = pdf_unavailable()
    if reason:
        raise RuntimeError(reason)
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url).write_pdf())
