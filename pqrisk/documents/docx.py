"""Word documents laid out after GB/T 9704-2012 (党政机关公文格式), as far as python-docx can.

A4 with the standard margins (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm); title in
小标宋-style bold 二号 (22 pt), body in 仿宋 三号 (16 pt) indented two characters, headings
numbered 一、二、三… in 黑体. The fonts are named in the document (the East Asian font slot
too, or Word falls back to its Latin font); Word or WPS on the reader's machine supplies them.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
# Chinese type sizes in points (GB/T 9704 names them: 二号 for titles, 三号 for the body).
SIZE_ER = 22.0
SIZE_SAN = 16.0
# The 发文机关标志 is larger than the title (GB/T 9704 leaves its size to the issuer; 一号+).
SIZE_ISSUER = 30.0
# The red of the 发文机关标志 and the separator line (GB/T 9704 §7.2: 红色).
RED = RGBColor(0xE0, 0x00, 0x00)
NUMERALS = "一二三四五六七八九十"

CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT


def set_font(
    run: Any, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None
) -> None:
    """Font of a run, in the Latin and the East Asian slots."""
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def a4_document() -> Any:
    """An empty document on A4 with the GB/T 9704 margins."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    return doc


def add_text(
    doc: Any,
    text: str,
    *,
    font: str = BODY_FONT,
    size: float = SIZE_SAN,
    bold: bool = False,
    colour: RGBColor | None = None,
    align: Any = None,
    indent: bool = False,
) -> Any:
    """One paragraph of one run; ``indent`` indents the first line by two characters."""
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(2 * size)
    set_font(p.add_run(text), font, size, bold=bold, colour=colour)
    return p


def add_red_rule(doc: Any) -> Any:
    """The red separator line under the 发文字号 (版头中的分隔线), drawn as the bottom
    border of an empty paragraph."""
    p = doc.add_paragraph()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "1"), ("color", "E00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)
    return p


PICTURE_WIDTH_CM = 12.0
# Formats python-docx embeds as they are; others (WebP) are converted to PNG first.
DOCX_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "BMP", "TIFF"})


def add_picture(doc: Any, path: str, caption: str = "") -> None:
    """A centred picture, 12 cm wide at most, with its caption below (when given)."""
    from docx.shared import Cm
    from PIL import Image

    with Image.open(path) as image:
        if image.format in DOCX_IMAGE_FORMATS:
            source: Any = path
        else:
            source = io.BytesIO()
            image.save(source, format="PNG")
            source.seek(0)
        wide = image.width >= image.height
    p = doc.add_paragraph()
    p.alignment = CENTER
    run = p.add_run()
    if wide:
        run.add_picture(source, width=Cm(PICTURE_WIDTH_CM))
    else:
        run.add_picture(source, height=Cm(PICTURE_WIDTH_CM * 0.75))
    if caption:
        add_text(doc, caption, size=12.0, align=CENTER)


def to_bytes(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
