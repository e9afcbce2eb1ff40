"""The personalised guide as a PDF (fpdf2, pure Python) with an embedded CJK font.

A CJK font is required (without one Chinese renders as boxes): the WenQuanYi Micro Hei collection from
Debian's ``fonts-wqy-microhei`` is found automatically; another TTF/TTC can be passed explicitly.
"""

from __future__ import annotations

from pathlib import Path

from dialogue.errors import DialogueError
from dialogue.guide import Guide

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


def find_cjk_font() -> Path | None:
    return next((p for p in FONT_CANDIDATES if p.is_file()), None)


def guide_pdf(guide: Guide, centre_name: str = "政务服务中心", font_path: Path | None = None) -> bytes:
    """Render the guide on A4 pages; returns the PDF bytes.

    Raises:
        DialogueError: fpdf2 or a CJK font is missing (with how to install them).
    """
    try:
        from fpdf import FPDF
    except ImportError as e:
        raise DialogueError("PDF export needs fpdf2: pip install 'fpdf2>=2.8.9'") from e
    font = font_path or find_cjk_font()
    if font is None or not Path(font).is_file():
        raise DialogueError("PDF export needs a CJK font: apt-get install fonts-wqy-microhei")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.add_font("cjk", fname=str(font), collection_font_number=0)
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(0, 10, f"{guide.matter_name} 个性化办事指南", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(0, 6, centre_name, new_x="LMARGIN", new_y="NEXT")

    def section(title: str, lines: list[str]) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        for line in lines:
            pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")

    section("您的情形", list(guide.answers.values()) or ["无"])
    section(
        "需要准备的材料", [f"{i}. {m.describe()}" for i, m in enumerate(guide.materials, 1)] or ["无需材料"]
    )
    section("办理流程", [f"{i}. {s}" for i, s in enumerate(guide.steps, 1)] or ["窗口提交材料"])
    section(
        "办理信息",
        [
            f"办理窗口：{'、'.join(guide.windows)}",
            f"办理时限：{guide.time_limit}",
            f"收费：{guide.fee}",
            f"网上办理：{guide.online}",
            f"咨询电话：{guide.phone}",
        ],
    )
    pdf.ln(2)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 5, f"依据：{guide.source}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
