"""The appendix of the summary report's DOCX, all published comments, written fast:
thousands of paragraphs are where python-docx spends its time (docs/PERFORMANCE.md,
"Exports and reports"). The output is what its plain API would write.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.dates import get_datetime_format
from flask_babel import get_locale
from flask_babel import gettext as _

from hoering.exports.rows import CommentRow
from hoering.sanitize import xml_safe
from hoering.timeutil import to_oslo


def docx_appendix(document, rows: list[CommentRow]) -> None:
    """One paragraph a comment: the number and author in bold, the time (and the comment
    answered), a line break, the text. The XML is what ``document.add_paragraph()`` and
    ``add_run(text)`` (with ``.bold = True``) write, built faster: python-docx finds the
    place of each new paragraph by walking the body (quadratic in the number of
    comments), reads text character by character, and sets bold through several lookups.
    Here each paragraph is built detached and put before the body's section properties,
    plain text is one ``w:t``, and bold is a copy of one ``w:rPr``."""
    from docx.oxml import OxmlElement
    from docx.text.run import Run

    body = document.element.body
    end = body.sectPr  # the section properties close the body; paragraphs go before them
    template = Run(OxmlElement("w:r"), None)
    template.bold = True
    bold = template._r.rPr  # noqa: SLF001 - the run properties python-docx wrote for bold
    for row in rows:
        p = OxmlElement("w:p")
        head = p.add_r()
        head.append(copy.deepcopy(bold))
        _docx_text(head, xml_safe(f"#{row.id} {row.author}"))
        meta = p.add_r()
        _docx_text(meta, f" · {short_datetime(row.created)}"
                   + (" · " + _("Reply to #%(id)d", id=row.parent) if row.parent else ""))
        meta.add_br()
        _docx_text(p.add_r(), xml_safe(row.text))
        if end is not None:
            end.addprevious(p)
        else:
            body.append(p)


def short_datetime(value: dt.datetime) -> str:
    """:func:`hoering.i18n.human_datetime` of ``value`` in the current locale ("3. des. 2026,
    14:34", never digits only), made as Babel makes it (the locale's medium date-time
    joiner with the short time as ``{0}`` and the medium date as ``{1}``) from parts
    remembered per day and per minute of the day: the appendix formats thousands."""
    local = to_oslo(value)
    locale = str(get_locale())
    return (_short_pattern(locale).replace("{0}", _short_time(locale, local.hour, local.minute))
            .replace("{1}", _short_date(locale, local.date())))


@functools.lru_cache(maxsize=8)
def _short_pattern(locale: str) -> str:
    return get_datetime_format("medium", locale=locale).replace("'", "")


@functools.lru_cache(maxsize=4096)
def _short_time(locale: str, hour: int, minute: int) -> str:
    return babel_format_time(dt.time(hour, minute), "short", locale=locale)


@functools.lru_cache(maxsize=4096)
def _short_date(locale: str, day: dt.date) -> str:
    return babel_format_date(day, "medium", locale=locale)


def _docx_text(r, text: str) -> None:
    """Put ``text`` in the run element ``r`` as ``Run.text = text`` would: tabs and line
    breaks as their elements (python-docx's own code), other text as one ``w:t``."""
    if not text:
        return
    if "\t" in text or "\n" in text or "\r" in text:
        r.text = text
    else:
        r.add_t(text)
