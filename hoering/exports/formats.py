"""Comment exports as CSV, XLSX and JSON, built as they stream so that 10,000 comments
export in well under the five seconds the case officers' target allows (bench/export.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from flask import abort

from hoering import isolation
from hoering.consultations.models import Consultation
from hoering.exports.cells import spreadsheet_cell
from hoering.exports.rows import COLUMNS, CommentRow, comment_rows, exported_states
from hoering.extensions import db
from hoering.summaries.duplicates import group_numbers
from hoering.timeutil import to_oslo

#: Bytes of CSV or JSON gathered before a chunk is sent.
CHUNK_BYTES = 64_000


def consultation_meta(consultation) -> dict:
    """The consultation facts at the head of a JSON export."""
    return {"id": consultation.id, "slug": consultation.slug, "title": consultation.title,
            "status": consultation.status().value, "language": consultation.language,
            "opens_at": consultation.opens_at.isoformat(), "closes_at": consultation.closes_at.isoformat()}


def csv_chunks(rows: Iterable[CommentRow], labels: dict[str, str] | None = None) -> Iterator[str]:
    """CSV text in chunks: UTF-8 byte order mark (so spreadsheets read æøå), a header
    row (``labels``, column name → heading, else the stable column names), every cell
    quoted and passed through :func:`~hoering.exports.cells.spreadsheet_cell` last
    (formula-like text neutralized). Values keep their stable names ("published")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_cell(labels.get(name, name)) for name in COLUMNS] if labels else COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row.values()])
        if buffer.tell() > CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(meta: dict, rows: Iterable[CommentRow]) -> Iterator[str]:
    """``{"consultation": meta, "columns": [...], "comments": [{...}, ...]}`` in chunks."""
    head = json.dumps({"consultation": meta, "columns": list(COLUMNS)}, ensure_ascii=False)
    parts = [head[:-1] + ', "comments": [']
    size, first = 0, True
    for row in rows:
        item = row.as_dict()
        item["created"] = row.created.isoformat()
        text = json.dumps(item, ensure_ascii=False)
        parts.append(text if first else "," + text)
        first = False
        size += len(text)
        if size > CHUNK_BYTES:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts)


def xlsx_bytes(rows: Iterable[CommentRow], sheet_title: str = "Comments", labels: dict[str, str] | None = None,
               values: dict[str, dict[str, str]] | None = None) -> bytes:
    """An XLSX workbook (openpyxl's write-only mode) for people: a bold header row of
    ``labels`` (column name → heading; the column names by default), frozen, with a
    filter; the values of the columns in ``values`` shown by their labels ("published" →
    "Publisert", :func:`~hoering.exports.rows.value_labels`); creation times as
    spreadsheet dates in Oslo time; sensible column widths.
    Cells are written as values, never formulas: every value passes through
    :func:`~hoering.exports.cells.spreadsheet_cell` last, as in CSV (characters XML cannot
    hold left out, then formula-like text neutralized)."""
    # openpyxl (with lxml and Pillow, about 60 ms and 10 MiB) only where a workbook is made.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    labels = labels or {}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31] or "Comments")
    sheet.freeze_panes = "A2"
    widths = {"author": 22, "created": 17, "state": 11, "moderation_reason": 18, "themes": 24, "question": 30, "section": 24,
              "text": 80}
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 9)
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=spreadsheet_cell(labels.get(name, name)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    created_at = COLUMNS.index("created")
    shown = [(COLUMNS.index(column), names) for column, names in (values or {}).items()]
    count = 0
    for row in rows:
        cells = row.values()
        for index, names in shown:
            cells[index] = names.get(cells[index], cells[index])
        cells = [spreadsheet_cell(value) for value in cells]
        when = WriteOnlyCell(sheet, value=to_oslo(row.created).replace(tzinfo=None))
        when.number_format = "yyyy-mm-dd hh:mm"
        cells[created_at] = when
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def comments_xlsx(consultation: Consultation, *, full: bool, sheet_title: str, labels: dict[str, str],
                  values: dict[str, dict[str, str]] | None = None) -> bytes:
    """The comments export as XLSX (:func:`xlsx_bytes` of :func:`~hoering.exports.rows.comment_rows`,
    with the near-duplicate groups among the rows exported), made in a child process
    (:mod:`hoering.isolation`: openpyxl, lxml and Pillow never load into the web worker),
    which reads the comments itself.

    Args:
        consultation: a loaded consultation.
        full: every state (moderators), or the published comments only (case officers).
        sheet_title, labels, values: as :func:`xlsx_bytes` takes them, already translated.

    Raises:
        werkzeug.exceptions.NotFound: the consultation was deleted meanwhile.
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    # The groups first (made in a child of their own only when the cache lacks them): the
    # workbook's child then finds them in the cache and needs no scikit-learn.
    group_numbers(consultation, states=exported_states(full))
    return isolation.run(_made_xlsx, consultation.id, full, str(sheet_title), dict(labels), dict(values or {}))


def _made_xlsx(consultation_id: int, full: bool, sheet_title: str, labels: dict[str, str],
               values: dict[str, dict[str, str]]) -> bytes:
    """In the child: the XLSX export of consultation ``consultation_id``."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    # Groups among the rows exported only: a case officer's file must not hint at hidden comments.
    groups = group_numbers(consultation, states=exported_states(full))
    return xlsx_bytes(comment_rows(consultation, full=full, duplicate_groups=groups), sheet_title, labels, values)
