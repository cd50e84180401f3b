"""One HTML body becomes a PDF and a Word document with the project's CJK font, and
charts drawn on the server."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from django.conf import settings
from PIL import Image

from tousu.core.documents import charts
from tousu.core.documents.docx import html_docx
from tousu.core.documents.fonts import FONT_NAME, font_path
from tousu.core.documents.pdf import html_pdf
from tousu.core.tests.pdfs import pdf_fonts, pdf_text


def _body() -> str:
    png = charts.bar_chart(["商品质量", "售后服务"], [3, 2], title="按类别")
    return (
        "<h1>客诉分析报告</h1><p>本月受理投诉 <b>12</b> 件。<br>第二行</p>"
        "<h2>一、受理情况</h2><ul><li>商品质量 3</li><li>售后服务 2</li></ul>"
        f'<img src="{charts.data_uri(png)}" width="480">'
        '<table width="100%"><thead><tr><th width="50%">类别</th><th width="50%">件数</th>'
        "</tr></thead><tr><td>商品质量</td><td>3</td></tr></table>"
        '<hr class="page"><h2>二、办理时限</h2><p>按时率 95%</p>'
    )


def test_the_font_comes_from_the_projects_npm_packages():
    path = font_path()
    assert path.is_file()
    assert Path(settings.NODE_MODULES) in path.parents


def test_a_pdf_embeds_the_projects_font_and_its_text_reads_as_chinese():
    data = html_pdf(_body(), title="测试")
    assert data.startswith(b"%PDF")
    assert {name for name in pdf_fonts(data) if FONT_NAME in name}, pdf_fonts(data)
    assert pdf_fonts(data) <= {f"{FONT_NAME}Regular", f"{FONT_NAME}BoldBold"}
    text = pdf_text(data)
    for words in ("客诉分析报告", "本月受理投诉12件", "商品质量", "二、办理时限", "按时率95%"):
        assert words in text, words
    assert b"/Subtype /Image" in data  # the chart


def test_the_same_body_is_a_word_document_with_headings_lists_table_and_chart():
    document = docx.Document(io.BytesIO(html_docx(_body(), title="测试")))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert ("Heading 1", "客诉分析报告") in paragraphs
    assert ("Normal", "本月受理投诉 12 件。\n第二行") in paragraphs
    assert ("List Bullet", "商品质量 3") in paragraphs
    assert ("Heading 2", "二、办理时限") in paragraphs
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == ["类别", "件数"]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert [c.text for c in table.rows[1].cells] == ["商品质量", "3"]
    assert len(document.inline_shapes) == 1
    assert document.core_properties.title == "测试"


def test_charts_are_pngs_and_a_chart_of_nothing_still_draws():
    for png in (
        charts.bar_chart(["甲", "乙"], [1, 2], horizontal=True),
        charts.line_chart(["10-01", "10-02"], {"受理": [1, 2], "办结": [0, 1]}),
        charts.pie_chart(["满意", "不满意"], [0, 0]),
        charts.bar_chart([], []),
    ):
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width > 300
    assert charts.data_uri(b"x").startswith("data:image/png;base64,")
