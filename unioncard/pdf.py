"""PDF documents in Chinese with the font embedded (WenQuanYi Micro Hei, subset by reportlab).

Characters the font lacks (a few CJK Extension A/B ideographs such as 𠮷) are printed as
their code point, e.g. ``[U+20BB7]``, so nothing silently disappears from a printed list.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_PATH = Path(__file__).parent / "assets" / "fonts" / "wqy-microhei.ttc"
FONT = "WenQuanYiMicroHei"
_registered: TTFont | None = None


def font() -> TTFont:
    global _registered
    if _registered is None:
        _registered = TTFont(FONT, str(FONT_PATH), subfontIndex=0)
        pdfmetrics.registerFont(_registered)
    return _registered


def printable(text: str) -> str:
    glyphs = font().face.charToGlyph
    return "".join(ch if ord(ch) in glyphs or ch in "\n\t" else f"[U+{ord(ch):04X}]" for ch in text)


def style(size: float = 10, *, leading: float | None = None, align: int = 0) -> ParagraphStyle:
    font()
    return ParagraphStyle(
        f"s{size}{align}",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.4,
        alignment=align,
        wordWrap="CJK",
    )


def para(text, size: float = 10, align: int = 0) -> Paragraph:
    escaped = printable(str(text if text is not None else "")).replace("&", "&amp;")
    return Paragraph(escaped.replace("<", "&lt;").replace(">", "&gt;"), style(size, align=align))


def table_document(
    title: str,
    meta: list[str],
    header: list[str],
    rows: list[list],
    widths: list[float],
    footer: list[str],
    *,
    landscape_page: bool = True,
) -> bytes:
    """A titled, paged table with repeated header row; returns the PDF bytes."""
    buffer = io.BytesIO()
    size = landscape(A4) if landscape_page else A4
    doc = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=title,
        author="工会会员服务卡平台",
    )
    data = [[para(h, 9, 1) for h in header]] + [[para(c, 9) for c in row] for row in rows]
    grid = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [para(title, 16, 1), Spacer(1, 4 * mm)]
    story += [para(line, 10) for line in meta] + [Spacer(1, 3 * mm), grid, Spacer(1, 6 * mm)]
    story += [para(line, 10) for line in footer]

    def number(canvas, document):
        canvas.setFont(FONT, 8)
        canvas.drawRightString(size[0] - 12 * mm, 8 * mm, f"第 {document.page} 页")

    doc.build(story, onFirstPage=number, onLaterPages=number)
    return buffer.getvalue()
