"""The monthly report as a printable A4 PDF (reportlab): key figures, charts per day and per
commune, then tables by place and by house, in the reader's language with the DejaVu font
embedded (it has every Vietnamese letter; Debian's fonts-dejavu-core).
"""
from __future__ import annotations

import io
import math
from datetime import datetime
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from common.i18n import text as t

from .config import PLACE_LEVELS
from .report_month import DECIMALS, FIELDS, Line, MonthReport
from .rollups import zone

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)  # Debian's and Raspberry Pi OS's
FONTS = {"Report": "DejaVuSans.ttf", "Report-Bold": "DejaVuSans-Bold.ttf"}
PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN
BAR = colors.HexColor("#3B6EA5")
HEADER = colors.HexColor("#DCE6F1")
TOP_COMMUNES = 15
HOUSES_WIDTH = 30  # the "houses" column of the tables


class FontMissing(RuntimeError):
    """No TrueType font with Vietnamese letters was found."""


def register_fonts(dirs=FONT_DIRS) -> None:
    """Embed DejaVu Sans (regular and bold) under the names FONTS gives them, once."""
    if set(FONTS) <= set(pdfmetrics.getRegisteredFontNames()):
        return
    for name, file in FONTS.items():
        path = next((Path(d) / file for d in dirs if (Path(d) / file).is_file()), None)
        if path is None:
            raise FontMissing(f"{file} not found in {', '.join(dirs)}: install the Debian "
                              "package fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily("Report", normal="Report", bold="Report-Bold")


def number(value: float, decimals: int, lang: str) -> str:
    """1234.5 -> '1.234,5' in Vietnamese, '1,234.5' in English."""
    out = f"{value:,.{decimals}f}"
    return out.replace(",", " ").replace(".", ",").replace(" ", ".") if lang == "vi" else out


def _styles():
    base = ParagraphStyle("body", fontName="Report", fontSize=9, leading=12)
    return {"body": base,
            "title": ParagraphStyle("title", base, fontName="Report-Bold", fontSize=18,
                                    leading=22, spaceAfter=4),
            "h2": ParagraphStyle("h2", base, fontName="Report-Bold", fontSize=12, leading=15,
                                 spaceBefore=8, spaceAfter=4, keepWithNext=1),
            "small": ParagraphStyle("small", base, fontSize=7.5, leading=9),
            "cell": ParagraphStyle("cell", base, fontSize=7, leading=8.5),
            "head": ParagraphStyle("head", base, fontName="Report-Bold", fontSize=6.5,
                                   leading=8),
            "num": ParagraphStyle("num", base, fontSize=7, leading=8.5, alignment=TA_RIGHT)}


def _grid(rows: list[list], widths: list[float], total: bool) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [("FONT", (0, 0), (-1, -1), "Report", 7),
             ("BACKGROUND", (0, 0), (-1, 0), HEADER),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
             ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
             ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F4F6F9")]),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#B0B7C3")),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if total:
        style += [("FONT", (0, -1), (-1, -1), "Report-Bold", 7),
                  ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black)]
    table.setStyle(TableStyle(style))
    return table


def _figure_cells(line: Line, lang: str) -> list[str]:
    return [number(line.figures[f], DECIMALS.get(f, 0), lang) for f in FIELDS]


def _place(lang: str, value: str) -> str:
    return value or t(lang, "report.unplaced")


def _lines_table(lang: str, s, head: list[str], lines, label, total: Line,
                 first: float) -> Table:
    """A table of lines: a label column, houses, then every figure; a total row under."""
    rest = (WIDTH - first - HOUSES_WIDTH) / len(FIELDS)
    rows = [[Paragraph(escape(h), s["head"]) for h in head]]
    rows += [[label(line), str(line.houses), *_figure_cells(line, lang)] for line in lines]
    rows.append([t(lang, "report.total"), str(total.houses), *_figure_cells(total, lang)])
    return _grid(rows, [first, HOUSES_WIDTH] + [rest] * len(FIELDS), total=True)


def _label(lang: str, s, level: str, line: Line) -> Paragraph:
    """A place's own name, with the larger places it lies in below it in small print."""
    depth = PLACE_LEVELS.index(level)
    above = " — ".join(_place(lang, line.place[lv]) for lv in reversed(PLACE_LEVELS[:depth]))
    words = escape(_place(lang, line.place[level]))
    return Paragraph(words + (f'<br/><font size="5.5">{escape(above)}</font>' if above else ""),
                     s["cell"])


def _house_label(lang: str, s, line: Line) -> Paragraph:
    where = ", ".join(line.place[lv] for lv in reversed(PLACE_LEVELS) if line.place[lv])
    return Paragraph(f'{escape(line.name)}<br/><font size="5.5">{escape(line.house)}'
                     f'{" · " + escape(where) if where else ""}</font>', s["cell"])


def bar_chart(title: str, labels: list[str], values: list[float], width: float,
              height: float, lang: str, horizontal: bool = False) -> Drawing:
    """A titled bar chart in the report's font; every label shown unless there are many."""
    drawing = Drawing(width, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    left = 110 if horizontal else 34
    chart.x, chart.y = left, 22
    chart.width, chart.height = width - left - 10, height - 44
    chart.data = [values or [0]]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = "Report"
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = True
    top = max(values, default=0)
    if top < 5:  # counts: whole steps, not 0.2, 0.4, ...
        chart.valueAxis.valueMax, chart.valueAxis.valueStep = max(1, math.ceil(top)), 1
    chart.valueAxis.labelTextFormat = lambda v: number(v, 0 if v == int(v) else 1, lang)
    if horizontal:
        chart.categoryAxis.reverseDirection = True  # the largest at the top
    elif len(labels) > 31:
        chart.categoryAxis.labels.angle = 90
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.labels.dy = -2
    drawing.add(chart)
    drawing.add(String(0, height - 12, title, fontName="Report-Bold", fontSize=10))
    return drawing


def _charts(lang: str, report: MonthReport) -> Table:
    days = [day[8:] for day, _ in report.days]  # "2026-11-05" -> "05"
    half = WIDTH / 2 - 6
    pages = bar_chart(t(lang, "report.chart.pages"), days,
                      [f["pages_printed"] for _, f in report.days], half, 170, lang)
    wifi = bar_chart(t(lang, "report.chart.wifi"), days,
                     [f["wifi_users"] for _, f in report.days], half, 170, lang)
    communes = sorted(report.regions["commune"], key=lambda c: -c.figures["pages_printed"])
    communes = communes[:TOP_COMMUNES]
    by_commune = bar_chart(t(lang, "report.chart.communes"),
                           [_place(lang, c.place["commune"])[:24] for c in communes],
                           [c.figures["pages_printed"] for c in communes], WIDTH,
                           60 + 14 * max(1, len(communes)), lang, horizontal=True)
    grid = Table([[pages, wifi], [by_commune, ""]], colWidths=[half + 6, half + 6])
    grid.setStyle(TableStyle([("SPAN", (0, 1), (1, 1)), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return grid


def _key_figures(lang: str, s, report: MonthReport) -> Table:
    """The fleet's totals as a two-row band: names over figures."""
    head = [Paragraph(escape(t(lang, f"report.col.{f}")), s["head"]) for f in FIELDS]
    table = Table([head, _figure_cells(report.total, lang)],
                  colWidths=[WIDTH / len(FIELDS)] * len(FIELDS))
    table.setStyle(TableStyle([("FONT", (0, 1), (-1, 1), "Report-Bold", 11),
                               ("BACKGROUND", (0, 0), (-1, 0), HEADER),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                               ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
    return table


def _footer(title: str, lang: str, canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("Report", 7)
    canvas.drawString(MARGIN, 7 * mm, title)
    canvas.drawRightString(PAGE[0] - MARGIN, 7 * mm, t(lang, "report.page", n=doc.page))
    canvas.restoreState()


def write_pdf(report: MonthReport, lang: str = "vi") -> bytes:
    """The report as the bytes of a PDF file."""
    register_fonts()
    s = _styles()
    month = f"{report.month[5:]}/{report.month[:4]}"
    title = t(lang, "report.title", month=month)
    made = datetime.fromtimestamp(report.made_ms / 1000, zone(report.timezone))
    story = [Paragraph(escape(title), s["title"]),
             Paragraph(escape(t(lang, "report.fleet", houses=report.total.houses)), s["body"]),
             Paragraph(escape(t(lang, "report.made", when=f"{made:%d/%m/%Y %H:%M}",
                                tz=report.timezone)), s["small"]),
             Spacer(1, 4 * mm),
             KeepTogether([Paragraph(escape(t(lang, "report.key_figures")), s["h2"]),
                           _key_figures(lang, s, report)]),
             Spacer(1, 4 * mm), _charts(lang, report),
             Paragraph(escape(t(lang, "report.notes")), s["small"]),
             Paragraph(escape(t(lang, "report.by_region")), s["h2"])]
    for i, level in enumerate(PLACE_LEVELS):
        head = [t(lang, f"report.col.{level}"), t(lang, "report.col.houses"),
                *(t(lang, f"report.col.{f}") for f in FIELDS)]
        story += [Spacer(1, 3 * mm)] * (i > 0) + [_lines_table(lang, s, head, report.regions[level],
                                                  partial(_label, lang, s, level),
                                                  report.total, 110)]
    head = [t(lang, "report.col.name"), t(lang, "report.col.houses"),
            *(t(lang, f"report.col.{f}") for f in FIELDS)]
    story += [Paragraph(escape(t(lang, "report.by_house")), s["h2"]),
              _lines_table(lang, s, head, report.houses, partial(_house_label, lang, s),
                           report.total, 130)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm, title=title,
                            author="culturehouse", lang=lang, initialFontName="Report")
    footer = partial(_footer, title, lang)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
