"""Comment exports as CSV, XLSX and JSON, built as they stream so that 10,000 comments
export in well under the five seconds the case officers' target allows (bench/export.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from hoering.exports.rows import COLUMNS, CommentRow, neutralize_cell
from hoering.sanitize import xml_safe

#: Bytes of CSV or JSON gathered before a chunk is sent.
CHUNK_BYTES = 64_000


def consultation_meta(consultation) -> dict:
    """The consultation facts at the head of a JSON export."""
    return {"id": consultation.id, "slug": consultation.slug, "title": consultation.title,
            "status": consultation.status().value, "language": consultation.language,
            "opens_at": consultation.opens_at.isoformat(), "closes_at": consultation.closes_at.isoformat()}


def csv_chunks(rows: Iterable[CommentRow]) -> Iterator[str]:
    """CSV text in chunks: UTF-8 byte order mark (so spreadsheets read æøå), a header
    row, every cell quoted, formula-like cells neutralized (:func:`neutralize_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralize_cell(value) for value in row.values()])
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


def xlsx_bytes(rows: Iterable[CommentRow], sheet_title: str = "Comments") -> bytes:
    """An XLSX workbook (openpyxl's write-only mode) with a bold header row. Cells are
    written as values, never formulas: text beginning with = is neutralized as in CSV."""
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31] or "Comments")
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([value if isinstance(value, int) or value is None else xml_safe(neutralize_cell(value))
                      for value in row.values()])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
