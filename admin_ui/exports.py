"""Export of a list's current filter as CSV or XLSX (openpyxl), in the layout's columns."""

from __future__ import annotations

import csv
import io

from flask import Response
from openpyxl import Workbook

from admin_ui.i18n import field_label
from admin_ui.values import local_time, option_label, title_of
from plinth.runtime.model import Field, ObjectModel

EXPORT_LIMIT = 10_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(session, field: Field, value):
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


def _safe_text(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_response(session, model: ObjectModel, columns: list[Field], records, kind: str):
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
