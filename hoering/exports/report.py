"""The summary report for politicians: consultation facts, statistics and chart, the
summary per theme with quotes and counts, and an appendix of all published comments.

One :class:`Report` is built from the database, then written as DOCX (python-docx), PDF
(fpdf2, with the DejaVu Sans font that matplotlib ships, which covers Norwegian letters)
or shown as a printable page. Labels are translated in the current locale.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import os
from dataclasses import dataclass

from flask import abort, current_app
from flask_babel import format_date, format_datetime, format_decimal, ngettext
from flask_babel import gettext as _

from hoering import isolation
from hoering.comments.models import CommentState
from hoering.consultations.models import Consultation
from hoering.exports.appendix import PlainTextFlow, docx_appendix, short_datetime
from hoering.exports.richtext import Block, html_blocks
from hoering.exports.rows import CommentRow, comment_rows
from hoering.extensions import db
from hoering.i18n import current_language_code
from hoering.sanitize import xml_safe
from hoering.stances import Tally, stance_counts_text, tally_of
from hoering.summaries.duplicates import groups_of
from hoering.summaries.services import SummaryView, summary_view
from hoering.summaries.statistics import Statistics, comments_per_day_chart, statistics
from hoering.timeutil import to_oslo


@dataclass
class ReportSection:
    """One theme in the report: name, counts, the moderators' text and quotes."""

    name: str
    counts: str
    blocks: list[Block]
    quotes: list[tuple[str, str, int, str]]  # (text, author, comment id, its votes in words or "")


@dataclass
class Report:
    """Everything the report shows, as plain text or styled blocks (no HTML), ready for
    any format."""

    consultation: Consultation
    title: str
    facts: list[tuple[str, str]]
    stats: Statistics
    chart_png: bytes
    summary: SummaryView | None
    overview: list[Block]
    overview_quotes: list[tuple[str, str, int, str]]
    sections: list[ReportSection]
    appendix: list[CommentRow]
    generated_at: dt.datetime
    owner: str = ""
    language: str = "nb"

    @property
    def generated_label(self) -> str:
        """"Laget 29. november 2026" in the report's language."""
        return _("Made %(date)s", date=format_date(to_oslo(self.generated_at).date(), "long"))

    @property
    def is_draft(self) -> bool:
        """True when the summary shown is not published yet."""
        return self.summary is not None and self.summary.published_at is None


def build_report(consultation: Consultation, *, include_draft: bool, with_chart: bool = True) -> Report:
    """Gather the report of ``consultation``.

    Args:
        include_draft: show the summary even while it is a draft (staff), marked as such.
        with_chart: draw the chart (the printable page links to it instead).
    """
    stats = statistics(consultation)
    view = summary_view(consultation, include_draft=include_draft)
    facts = [
        (_("Consultation"), consultation.title),
        (_("Responsible unit"), consultation.responsible_unit or "–"),
        (_("Opens"), format_datetime(to_oslo(consultation.opens_at), "short")),
        (_("Deadline"), format_date(consultation.deadline, "long")),
        (_("Participants"), format_decimal(stats.participants)),
        (_("Comments, not counting replies"), format_decimal(stats.comments)),
        (_("Replies"), format_decimal(stats.replies)),
        (_("Agree"), format_decimal(stats.supports)),
        (_("Disagree"), format_decimal(stats.disagrees)),
    ]
    if consultation.imported_voters:
        facts.append((_("Voting"), _("%(num)s participants voted", num=format_decimal(consultation.imported_voters))))
    if stats.distinct != stats.total:
        facts.append((_("Distinct comments (near-duplicates counted once)"), format_decimal(stats.distinct)))

    def quotes(items) -> list[tuple[str, str, int, str]]:
        return [(q.comment.body_text, q.comment.author.display_name, q.comment.id, votes_text(tally_of(q.comment)))
                for q in items]

    sections = []
    if view is not None:
        for section in view.sections:
            counts = ""
            if section.count:
                counts = (ngettext("%(num)d comment", "%(num)d comments", section.count.comments) + " · "
                          + ngettext("%(num)d participant", "%(num)d participants", section.count.participants))
                votes = votes_text(section.count.tally)
                counts += f" · {votes}" if votes else ""
            sections.append(ReportSection(section.theme.name, counts, html_blocks(section.text_html),
                                          quotes(section.quotes)))
    return Report(
        consultation=consultation, title=_("What we heard: %(title)s", title=consultation.title), facts=facts,
        stats=stats, chart_png=comments_per_day_chart(consultation, _("Comments per day")) if with_chart else b"",
        summary=view,
        overview=html_blocks(view.overview_html) if view else [], overview_quotes=quotes(view.quotes) if view else [],
        sections=sections, appendix=list(comment_rows(consultation, full=False)),
        generated_at=dt.datetime.now(dt.UTC), owner=current_app.config.get("SITE_OWNER") or "",
        language={"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}.get(current_language_code(), "nb-NO"),
    )


def report_file(consultation: Consultation, fmt: str) -> bytes:
    """The summary report (draft included, marked) as a DOCX or PDF file, made in a child
    process (:mod:`hoering.isolation`: python-docx with lxml, fpdf2 with fontTools and the
    fonts, matplotlib for the chart, scikit-learn for the near-duplicate count, never load
    into the web worker), which reads the consultation itself.

    Args:
        consultation: a loaded consultation.
        fmt: ``"docx"`` or ``"pdf"``.

    Raises:
        werkzeug.exceptions.NotFound: the consultation was deleted meanwhile.
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    # The near-duplicate groups and the chart first, each made (in a child of its own) only
    # when the cache lacks them: the report's child then finds them in the cache (Redis, or
    # the memory it shares with this process at the fork) and needs neither scikit-learn
    # nor matplotlib, which take longer to import than most reports take to write.
    groups_of(consultation, (CommentState.PUBLISHED.value,))
    comments_per_day_chart(consultation, _("Comments per day"))
    return isolation.run(_made_report_file, consultation.id, fmt)


def _made_report_file(consultation_id: int, fmt: str) -> bytes:
    """In the child: the report of consultation ``consultation_id`` as ``fmt``."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    report = build_report(consultation, include_draft=True)
    return report_docx(report) if fmt == "docx" else report_pdf(report)


def votes_text(counts: Tally) -> str:
    """The votes of a quote or theme in words (:func:`hoering.stances.stance_counts_text`:
    "omstridt: 567 enig, 455 uenig"), or "" when nobody voted."""
    return stance_counts_text(counts) if counts.agree or counts.disagree else ""


def _theme_table(report: Report) -> list[tuple[str, str, str, str]]:
    rows = [(count.theme.name, format_decimal(count.comments), format_decimal(count.participants),
             stance_counts_text(count.tally)) for count in report.stats.themes]
    if report.stats.themes:
        rows.append((_("Not covered by any theme"), format_decimal(report.stats.uncovered), "", ""))
    return rows


# --- DOCX ---------------------------------------------------------------------------------------

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

    document.add_heading(_("Statistics"), level=1)
    document.add_picture(io.BytesIO(report.chart_png), width=Cm(16))
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
    for question, count in report.stats.questions:
        document.add_paragraph(x(f"{question} – " + ngettext("%(num)d comment", "%(num)d comments", count)),
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

    document.add_page_break()
    document.add_heading(_("Appendix: all published comments"), level=1)
    docx_appendix(document, report.appendix)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


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


def _docx_quotes(document, quotes) -> None:
    for text, author, comment_id, votes in quotes:
        paragraph = document.add_paragraph(style="Quote")
        paragraph.add_run(xml_safe(text))
        paragraph.add_run(xml_safe(f" — {author} (#{comment_id})" + (f" · {votes}" if votes else ""))).italic = True


# --- PDF ----------------------------------------------------------------------------------------

def _font_path(name: str) -> str:
    """The path of a DejaVu font that matplotlib ships, found without importing matplotlib
    (a package's spec names its folder)."""
    folder = os.path.dirname(importlib.util.find_spec("matplotlib").origin)
    return os.path.join(folder, "mpl-data", "fonts", "ttf", name)


def report_pdf(report: Report) -> bytes:
    """The report as PDF (fpdf2), A4, DejaVu Sans. Characters the font lacks (most
    emoji) are drawn as an empty box rather than breaking the document."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    page_label = _("Page")  # outside the f-string, where message extraction finds it
    footer_text = f"{report.owner} · {report.generated_label} · {page_label} "

    class ReportPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.cell(0, 5, f"{footer_text}{self.page_no()}", align="C")

    pdf = ReportPDF(format="A4")
    pdf.set_lang(report.language)
    pdf.set_title(report.title)
    pdf.set_author(report.owner)
    pdf.set_creator("Hoering")
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", _font_path("DejaVuSans-Oblique.ttf"))
    pdf.add_font("DejaVu", "BI", _font_path("DejaVuSans-BoldOblique.ttf"))
    pdf.add_font("DejaVuMono", "", _font_path("DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    def paragraph(text: str, style: str = "", size: int = 10, indent: float = 0) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)

    def quotes(items) -> None:
        for text, author, comment_id, votes in items:
            paragraph(_("“%(text)s”", text=text), "I", indent=8)
            paragraph(f"— {author} (#{comment_id})" + (f" · {votes}" if votes else ""), size=9, indent=8)

    heading(report.title, 18)
    if report.is_draft:
        paragraph(_("Draft – not published"), "B")
    for label, value in report.facts:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(45, 6, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(width - 45, 6, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    heading(_("Statistics"), 14)
    pdf.image(io.BytesIO(report.chart_png), w=width)
    pdf.ln(2)
    theme_rows = _theme_table(report)
    if theme_rows:
        pdf.set_font("DejaVu", "", 9)
        with pdf.table(col_widths=(60, 22, 22, 45), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT")) as table:
            table.row([_("Theme"), _("Comments"), _("Participants"), _("Votes")])
            for row in theme_rows:
                table.row(list(row))
        pdf.ln(3)
    for question, count in report.stats.questions:
        paragraph(f"• {question} – " + ngettext("%(num)d comment", "%(num)d comments", count))

    heading(_("What we heard"), 14)
    if report.summary is None:
        paragraph(_("The summary has not been published yet."))
    def blocks(items: list[Block], heading_size: int) -> None:
        """The moderators' text: headings, paragraphs, indented list items with bullets or
        numbers, quotes in italics; bold and italic runs kept (``FPDF.write`` flows them)."""
        for block in items:
            if block.kind == "heading":
                heading(block.text, heading_size)
                continue
            indent = 6 * block.level if block.kind in ("bullet", "number") else (8 if block.kind == "quote" else 0)
            left = pdf.l_margin
            pdf.set_left_margin(left + indent)
            pdf.set_x(left + indent)
            if block.kind in ("bullet", "number"):
                pdf.set_font("DejaVu", "", 10)
                marker = "• " if block.kind == "bullet" else f"{block.number}. "
                pdf.set_x(left + indent - pdf.get_string_width(marker))
                pdf.write(5, marker)
            for run in block.runs:
                style = ("B" if run.bold else "") + ("I" if run.italic or block.kind == "quote" else "")
                pdf.set_font("DejaVuMono" if run.code else "DejaVu", style if not run.code else "", 10)
                pdf.write(5, run.text)
            pdf.set_left_margin(left)
            pdf.ln(5)
            pdf.ln(1.5)

    blocks(report.overview, 12)
    quotes(report.overview_quotes)
    for section in report.sections:
        heading(section.name, 12)
        if section.counts:
            paragraph(section.counts, "I", size=9)
        blocks(section.blocks, 11)
        quotes(section.quotes)

    pdf.add_page()
    heading(_("Appendix: all published comments"), 14)
    appendix = PlainTextFlow(pdf, width)
    for row in report.appendix:
        reply = " · " + _("Reply to #%(id)d", id=row.parent) if row.parent else ""
        appendix.paragraph(f"#{row.id} {row.author} · {short_datetime(row.created)}{reply}", "B")
        appendix.paragraph(row.text, "", after=2.5)
    return bytes(pdf.output())
