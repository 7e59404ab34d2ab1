"""The monthly report as a spreadsheet (openpyxl): a summary sheet, a sheet of houses, one
per place level (provinces, districts, communes) and one of days; headers in the reader's
language, bold and frozen, numbers formatted, a total row under each table.
"""
from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from common.i18n import text as t

from .config import PLACE_LEVELS
from .report_month import CHARTED, DECIMALS, FIELDS, Line, MonthReport
from .rollups import zone

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
TOP_RULE = Border(top=Side(style="thin"))
WRAP = Alignment(wrap_text=True, vertical="top")
INTEGER, ONE, TWO = "#,##0", "#,##0.0", "#,##0.00"
NAME_WIDTH, FIGURE_WIDTH = 26, 13


def number_format(name: str) -> str:
    return {0: INTEGER, 1: ONE, 2: TWO}[DECIMALS.get(name, 0)]


def _table(ws, headers: list[str], rows: list[list], formats: list[str | None],
           widths: list[int], total: list | None) -> None:
    """A table from A1: the header row bold, shaded, wrapped and frozen; a bold total row."""
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
    ws.row_dimensions[1].height = 45
    for row in rows:
        ws.append(row)
    if total is not None:
        ws.append(total)
        for cell in ws[ws.max_row]:
            cell.font, cell.border = BOLD, TOP_RULE
    for i, (fmt, width) in enumerate(zip(formats, widths), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    first_figure = next((i for i, f in enumerate(formats) if f and f[0] == "#"), 0)
    ws.freeze_panes = ws.cell(row=2, column=first_figure + 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    _printable(ws)
    ws.print_title_rows = "1:1"  # the header on every printed page


def _printable(ws) -> None:
    """Printed on A4 landscape, as wide as the page."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def _place(lang: str, value: str) -> str:
    return value or t(lang, "report.unplaced")


def _houses(ws, lang: str, report: MonthReport) -> None:
    ids = ["house", "name", *PLACE_LEVELS]
    _table(ws, [t(lang, f"report.col.{c}") for c in (*ids, *FIELDS)],
           [[line.house, line.name, *(_place(lang, line.place[lv]) for lv in PLACE_LEVELS),
             *(line.figures[f] for f in FIELDS)] for line in report.houses],
           [None] * len(ids) + [number_format(f) for f in FIELDS],
           [14, NAME_WIDTH, 20, 20, 20] + [FIGURE_WIDTH] * len(FIELDS),
           [t(lang, "report.total"), "", "", "", "", *_figures(report.total)])


def _figures(line: Line) -> list:
    return [line.figures[f] for f in FIELDS]


def _level(ws, lang: str, report: MonthReport, depth: int) -> None:
    levels = PLACE_LEVELS[:depth]
    _table(ws, [t(lang, f"report.col.{c}") for c in (*levels, "houses", *FIELDS)],
           [[*(_place(lang, line.place[lv]) for lv in levels), line.houses, *_figures(line)]
            for line in report.regions[PLACE_LEVELS[depth - 1]]],
           [None] * depth + [INTEGER] + [number_format(f) for f in FIELDS],
           [20] * depth + [9] + [FIGURE_WIDTH] * len(FIELDS),
           [t(lang, "report.total"), *[""] * (depth - 1), report.total.houses,
            *_figures(report.total)])


def _days(ws, lang: str, report: MonthReport) -> None:
    _table(ws, [t(lang, f"report.col.{c}") for c in ("day", *CHARTED)],
           [[date.fromisoformat(day), *(figures[c] for c in CHARTED)]
            for day, figures in report.days],
           ["dd/mm/yyyy"] + [INTEGER] * len(CHARTED), [12] + [FIGURE_WIDTH] * len(CHARTED),
           [t(lang, "report.total"), *(report.total.figures[c] for c in CHARTED)])


def _summary(ws, lang: str, report: MonthReport) -> None:
    made = datetime.fromtimestamp(report.made_ms / 1000, zone(report.timezone))
    ws.append([t(lang, "report.title", month=_month(report.month))])
    ws["A1"].font = TITLE
    ws.append([t(lang, "report.fleet", houses=report.total.houses)])
    ws.append([t(lang, "report.made", when=f"{made:%d/%m/%Y %H:%M}", tz=report.timezone)])
    ws.append([])
    ws.append([t(lang, "report.key_figures"), t(lang, "report.total")])
    for cell in ws[5]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    for f in FIELDS:
        ws.append([t(lang, f"report.col.{f}"), report.total.figures[f]])
        ws.cell(row=ws.max_row, column=2).number_format = number_format(f)
    ws.append([])
    ws.append([t(lang, "report.notes")])
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 16
    _printable(ws)


def _month(month: str) -> str:
    return f"{month[5:]}/{month[:4]}"  # 11/2026, as dates are written in Vietnam


def write_xlsx(report: MonthReport, lang: str = "vi") -> bytes:
    """The report as the bytes of an .xlsx file."""
    wb = Workbook()
    wb.properties.title = t(lang, "report.title", month=_month(report.month))
    wb.properties.creator = "culturehouse"
    _summary(wb.active, lang, report)
    wb.active.title = t(lang, "report.sheet.summary")
    _houses(wb.create_sheet(t(lang, "report.sheet.houses")), lang, report)
    for depth, level in enumerate(PLACE_LEVELS, start=1):
        _level(wb.create_sheet(t(lang, f"report.sheet.{level}")), lang, report, depth)
    _days(wb.create_sheet(t(lang, "report.sheet.days")), lang, report)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
