"""Export of a list's current filter as CSV or XLSX (openpyxl), in the layout's columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response
from openpyxl import Workbook

from admin_ui.i18n import field_label
from admin_ui.values import local_time, option_label, title_of
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.session import Session

EXPORT_LIMIT = 10_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What a spreadsheet cell holds (a bool is an int).
Cell = str | int | float


def cell(session: Session, field: Field, value: Any) -> Cell:
    """A value as plain text or number for a spreadsheet cell."""
    kind = field.type.name
    if value is None:
        return ""
    if kind in ("lookup", "user") and isinstance(value, dict):
        target = None if kind == "user" else session.compiled.object(field.spec["target"])
        return title_of(target, value)
    if kind == "select":
        return option_label(field, value)
    if kind == "multiselect":
        return ", ".join(option_label(field, v) for v in value)
    if kind == "datetime":
        return local_time(value)
    if kind == "geo" and isinstance(value, dict):
        return f"{value.get('lat')}, {value.get('lng')}"
    if isinstance(value, bool | int | float):
        return value
    return str(value)


# What starts a formula in Excel, LibreOffice or WPS, including the full-width forms an
# IME types (＝SUM(A1:A9) typed in Chinese is a formula to some of them).
FORMULA_STARTS = frozenset("=+-@＝＋－＠")
# Spreadsheets skip these before looking for a formula sign.
LEADING_BLANKS = " \t\r\n\u00a0\u3000\ufeff"


def _safe_text(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection):
    a formula sign first, after leading blanks or newlines, or a leading tab or newline."""
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(LEADING_BLANKS)
    if stripped[:1] in FORMULA_STARTS or value[0] in "\t\r\n":
        return "'" + value
    return value


def export_response(
    session: Session,
    model: ObjectModel,
    columns: list[Field],
    records: Iterable[Mapping[str, Any]],
    kind: str,
) -> Response:
    header = [field_label(f) for f in columns]
    rows = [[_safe_text(cell(session, f, r.get(f.name))) for f in columns] for r in records]
    filename = f"{model.name}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        data = "\ufeff" + out.getvalue()  # a BOM so Excel reads UTF-8 (Chinese text)
        return Response(data, mimetype="text/csv", headers=disposition)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(model.name[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), mimetype=XLSX_TYPE, headers=disposition)
