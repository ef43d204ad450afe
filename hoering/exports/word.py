"""The summary report as a Word document (python-docx): the :class:`~hoering.exports.report.Report`
written in A4, in the report's language, with the municipality, the date and page numbers
in the footer; every quote a link to its comment (a ``w:hyperlink``)."""

from __future__ import annotations

import io

from flask_babel import format_decimal
from flask_babel import gettext as _

from hoering.exports.appendix import docx_appendix
from hoering.exports.report import (
    ContestedTheme,
    Report,
    ReportQuote,
    chart_alt,
    method_items,
)
from hoering.exports.responses import ResponsesSection
from hoering.exports.richtext import Block
from hoering.i18n import ngettext
from hoering.sanitize import xml_safe
from hoering.stances import stance_counts_text


def _theme_table(report: Report) -> list[tuple[str, str, str, str]]:
    rows = [(count.theme.name, format_decimal(count.comments), format_decimal(count.participants),
             stance_counts_text(count.tally)) for count in report.stats.themes]
    if report.stats.themes:
        rows.append((_("Not covered by any theme"), format_decimal(report.stats.uncovered), "", ""))
    return rows


def report_docx(report: Report) -> bytes:
    """The report as a Word document (python-docx): A4, in the report's language, with the
    municipality, the date and page numbers in the footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    x = xml_safe  # citizens' text may hold characters XML cannot
    document = Document()
    document.core_properties.title = x(report.title)
    document.core_properties.author = x(report.owner)
    document.core_properties.language = report.language
    normal = document.styles["Normal"]
    normal.font.size = Pt(11)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), report.language)
    normal.element.get_or_add_rPr().append(language)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_label = _("Page")  # outside the f-string, where message extraction finds it
    footer.add_run(x(f"{report.owner} · {report.generated_label} · {page_label} "))
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):  # a PAGE field: the page number
        run = footer.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)  # noqa: SLF001 - python-docx has no API for fields
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)  # noqa: SLF001

    document.add_heading(x(report.title), level=0)
    if report.is_draft:
        document.add_paragraph(_("Draft – not published"))
    table = document.add_table(rows=0, cols=2)
    table.style = "Light List"
    for label, value in report.facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = x(label), x(value)

    document.add_heading(_("How this report was made"), level=1)
    for item in method_items(report):
        document.add_heading(x(item.label), level=2)
        if item.text:
            document.add_paragraph(x(item.text))
        for line in item.items:
            document.add_paragraph(x(line), style="List Bullet")

    document.add_heading(_("Statistics"), level=1)
    picture = document.add_picture(io.BytesIO(report.chart_png), width=Cm(16))
    # The picture's alternative text (Word's "Alt Text": the drawing's descr attribute).
    picture._inline.docPr.set("descr", x(chart_alt(report)))  # noqa: SLF001 - python-docx has no API for it
    theme_rows = _theme_table(report)
    if theme_rows:
        table = document.add_table(rows=1, cols=4)
        table.style = "Light List"
        for cell, label in zip(table.rows[0].cells, (_("Theme"), _("Comments"), _("Participants"), _("Votes")),
                               strict=True):
            cell.text = label
        for row in theme_rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = x(value)
    if report.votes_note:
        document.add_paragraph(report.votes_note)
    if report.splits:
        document.add_heading(_("Where people split in the contested themes"), level=2)
        for split in report.splits:
            document.add_heading(x(split.name), level=3)
            _docx_split(document, split)
    if report.stats.sections:
        document.add_paragraph(_("Comments per section of the draft"))
    for section, count in report.stats.sections:
        document.add_paragraph(x(f"{section} – " + ngettext("%(num)s comment", "%(num)s comments", count)),
                               style="List Bullet")
    for question, count in report.stats.questions:
        document.add_paragraph(x(f"{question} – " + ngettext("%(num)s comment", "%(num)s comments", count)),
                               style="List Bullet")

    document.add_heading(_("What we heard"), level=1)
    if report.summary is None:
        document.add_paragraph(_("The summary has not been published yet."))
    _docx_blocks(document, report.overview, heading_level=2)
    _docx_quotes(document, report.overview_quotes)
    for part in report.sections:
        document.add_heading(x(part.name), level=2)
        if part.counts:
            document.add_paragraph(part.counts).runs[0].italic = True
        _docx_blocks(document, part.blocks, heading_level=3)
        _docx_quotes(document, part.quotes)
        if part.split:
            _docx_split(document, part.split)

    if report.responses is not None:
        _docx_responses(document, report.responses)
    document.add_page_break()
    document.add_heading(_("Appendix: all published comments"), level=1)
    docx_appendix(document, report.appendix)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _docx_responses(document, section: ResponsesSection) -> None:
    """The section on formal responses: the counts, then each screened response (the public
    text of the published ones; of those held back, the legal ground only)."""
    x = xml_safe
    document.add_heading(_("Formal responses (høringssvar)"), level=1)
    for line in section.lines():
        document.add_paragraph(x(line), style="List Bullet")
    for item in section.items:
        document.add_heading(x(f"{item.reference}: {item.sender}" if item.sender else item.reference), level=2)
        meta = f"{item.received} · {item.state}" + (f" · {item.legal_ground}" if item.legal_ground else "")
        document.add_paragraph(x(meta)).runs[0].italic = True
        if item.text:
            document.add_paragraph(x(item.text))
        for name in item.attachments:
            document.add_paragraph(x(_("Attachment: %(name)s", name=name)), style="List Bullet")


#: Word's built-in paragraph styles for the kinds of :class:`Block` (lists by depth).
_DOCX_STYLES = {"bullet": ("List Bullet", "List Bullet 2", "List Bullet 3"),
                "number": ("List Number", "List Number 2", "List Number 3"),
                "quote": ("Quote",), "paragraph": ("Normal",)}


def _docx_blocks(document, blocks: list[Block], heading_level: int) -> None:
    """Add the moderators' text: headings one below ``heading_level``'s section, lists in
    Word's list styles, bold, italic and code kept."""
    for block in blocks:
        if block.kind == "heading":
            paragraph = document.add_heading("", level=min(9, heading_level + max(0, block.level - 2)))
        else:
            styles = _DOCX_STYLES.get(block.kind, ("Normal",))
            paragraph = document.add_paragraph(style=styles[min(len(styles), block.level) - 1])
        for run in block.runs:
            for i, line in enumerate(xml_safe(run.text).split("\n")):
                if i:
                    paragraph.add_run().add_break()
                added = paragraph.add_run(line)
                added.bold, added.italic = run.bold or None, run.italic or None
                if run.code:
                    added.font.name = "Courier New"


def _docx_quotes(document, quotes: list[ReportQuote]) -> None:
    """Each quote in Word's Quote style, its source a link to the comment (or the formal
    response) on the site."""
    for quote in quotes:
        paragraph = document.add_paragraph(style="Quote")
        paragraph.add_run(xml_safe(_("“%(text)s”", text=quote.text)))
        paragraph.add_run(xml_safe(f" — {quote.author}, ")).italic = True
        _docx_link(paragraph, quote.url, quote.link_label)
        if quote.note:
            paragraph.add_run(xml_safe(f" · {quote.note}")).italic = True
        if quote.votes:
            paragraph.add_run(xml_safe(f" · {quote.votes}")).italic = True


def _docx_split(document, split: ContestedTheme) -> None:
    """Where people split in a contested theme: a sentence, then its most voted-on
    contested comments, each a link to the comment, an excerpt and both counts."""
    document.add_paragraph(split.lead)
    for comment in split.comments:
        paragraph = document.add_paragraph(style="List Bullet")
        _docx_link(paragraph, comment.url, _("comment #%(id)d", id=comment.comment_id))
        paragraph.add_run(xml_safe(": " + _("“%(text)s”", text=comment.text) + f" · {comment.votes}"))


def _docx_link(paragraph, url: str, text: str) -> None:
    """Append a hyperlink to ``url`` showing ``text`` (Word's Hyperlink character style).

    python-docx has no API for links: this writes the ``w:hyperlink`` element of
    ECMA-376 Part 1, §17.16.22, with an external relationship to ``url``."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    relationship = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), relationship)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    properties.append(style)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.append(underline)
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "0B4F8A")
    properties.append(colour)
    run.append(properties)
    label = OxmlElement("w:t")
    label.text = xml_safe(text)
    run.append(label)
    link.append(run)
    paragraph._p.append(link)  # noqa: SLF001 - python-docx has no API for links


