"""The appendix of the summary report, all published comments, written fast: thousands
of paragraphs are where python-docx and fpdf2 spend their time (docs/PERFORMANCE.md,
"Exports and reports"). The output is what their plain APIs would write.
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
    """``format_datetime(to_oslo(value), "short")`` in the current locale ("03.12.2026,
    14:34"), made as Babel makes it (``babel.dates.format_datetime``: the locale's short
    date-time pattern with the short time as ``{0}`` and the short date as ``{1}``) from
    parts remembered per day and per minute of the day: the appendix formats thousands."""
    local = to_oslo(value)
    locale = str(get_locale())
    return (_short_pattern(locale).replace("{0}", _short_time(locale, local.hour, local.minute))
            .replace("{1}", _short_date(locale, local.date())))


@functools.lru_cache(maxsize=8)
def _short_pattern(locale: str) -> str:
    return get_datetime_format("short", locale=locale).replace("'", "")


@functools.lru_cache(maxsize=4096)
def _short_time(locale: str, hour: int, minute: int) -> str:
    return babel_format_time(dt.time(hour, minute), "short", locale=locale)


@functools.lru_cache(maxsize=4096)
def _short_date(locale: str, day: dt.date) -> str:
    return babel_format_date(day, "short", locale=locale)


def _docx_text(r, text: str) -> None:
    """Put ``text`` in the run element ``r`` as ``Run.text = text`` would: tabs and line
    breaks as their elements (python-docx's own code), other text as one ``w:t``."""
    if not text:
        return
    if "\t" in text or "\n" in text or "\r" in text:
        r.text = text
    else:
        r.add_t(text)


class PlainTextFlow:
    """Plain paragraphs for long PDF appendices: lines are broken here, word by word with
    each word measured once, and drawn with ``FPDF.text``. fpdf2's ``multi_cell`` measures
    the growing line again for every character, which made 10,000 comments take minutes."""

    def __init__(self, pdf, width: float, size: float = 9):
        self.pdf, self.width, self.size = pdf, width, size
        self.line_height = size * 0.45  # mm
        self.widths: dict[tuple[str, str], float] = {}

    def _width(self, style: str, word: str) -> float:
        key = (style, word)
        if key not in self.widths:
            pdf = self.pdf
            if self._plain and "{" not in word:
                # What get_string_width computes for one fragment in one font with no
                # shaping, stretching or spacing (fpdf2's Fragment.get_width), without
                # splitting the word into fragments first: a seventh of the time.
                # "{nb}" and other aliases are left to fpdf2, which replaces them.
                self.widths[key] = pdf.current_font.get_text_width(word, pdf.font_size_pt, None)[1] / pdf.k
            else:
                self.widths[key] = pdf.get_string_width(word)
        return self.widths[key]

    @property
    def _plain(self) -> bool:
        """True while the text is set in one TrueType font as it is: no text shaping,
        stretching, letter spacing or fallback fonts."""
        pdf = self.pdf
        return (pdf.is_ttf_font and not pdf.text_shaping and pdf.font_stretching == 100 and pdf.char_spacing == 0
                and not pdf._fallback_font_ids)  # noqa: SLF001 - fpdf2 has no public getter

    def _lines(self, text: str, style: str):
        space = self._width(style, " ")
        for source_line in text.split("\n"):
            line: list[str] = []
            used = 0.0
            for word in source_line.split():
                width = self._width(style, word)
                while width > self.width:  # a word longer than the line is cut
                    cut = max(1, int(len(word) * self.width / width) - 1)
                    if line:
                        yield " ".join(line)
                        line, used = [], 0.0
                    yield word[:cut]
                    word = word[cut:]
                    width = self._width(style, word)
                if line and used + space + width > self.width:
                    yield " ".join(line)
                    line, used = [word], width
                else:
                    used += (space if line else 0) + width
                    line.append(word)
            yield " ".join(line)

    def paragraph(self, text: str, style: str, after: float = 0.5) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", style, self.size)
        for line in self._lines(text, style):
            if pdf.get_y() + self.line_height > pdf.page_break_trigger:
                pdf.add_page()
            pdf.set_y(pdf.get_y() + self.line_height)
            if line:
                pdf.text(pdf.l_margin, pdf.get_y() - self.line_height * 0.25, line)
        pdf.set_y(pdf.get_y() + after)
