"""The report as a tagged, accessible PDF (WeasyPrint), to read and to archive.

WeasyPrint (https://weasyprint.org) lays out ``templates/exports/report_document.html``
with ``static/css/report-document.css`` and writes a *tagged* PDF: a structure tree that
follows the HTML (headings, paragraphs, lists, tables with header cells, figures with
their alternative text, links), in reading order, with the document's language and title.
That is what lets a screen reader navigate the report (universal design:
likestillings- og diskrimineringsloven § 17 and forskrift om universell utforming av IKT;
WCAG 2.1 criterion 1.3.1 "Info and Relationships" for documents).

Two variants (WeasyPrint's ``pdf_variant``):

* ``"pdf/ua-1"`` (ISO 14289-1, PDF/UA), the report to read: :data:`READING`;
* ``"pdf/a-3a"`` (ISO 19005-3, PDF/A-3, level A: tagged, Unicode text, fonts and colour
  profile embedded), for the archive (Noark 5 asks for PDF/A as an archival format):
  :data:`ARCHIVE`.

Laying out text is WeasyPrint's slow part (about 3.5 ms per comment of the appendix, measured
2026-12-03), so the appendix lists every published comment only up to
``REPORT_PDF_APPENDIX_LIMIT``; above it the report says so and carries all of them as a CSV
file embedded in the PDF (PDF/A-3 allows embedded files), besides the comment exports.
"""

from __future__ import annotations

import base64
import importlib.util
import os
from contextlib import nullcontext

from flask import current_app, has_request_context, render_template
from flask_babel import gettext as _

from hoering.exports.formats import csv_chunks
from hoering.exports.report import Report, chart_alt, method_items

#: WeasyPrint's variant for the report to read, and for the archive.
READING = "pdf/ua-1"
ARCHIVE = "pdf/a-3a"
#: The fonts, as (CSS weight, CSS style, file name): DejaVu Sans, shipped with matplotlib,
#: which covers Norwegian, German and most European letters.
FONTS = (("normal", "normal", "DejaVuSans.ttf"), ("bold", "normal", "DejaVuSans-Bold.ttf"),
         ("normal", "italic", "DejaVuSans-Oblique.ttf"), ("bold", "italic", "DejaVuSans-BoldOblique.ttf"))


def _font_folder() -> str:
    """The folder of matplotlib's DejaVu fonts, found without importing matplotlib."""
    return os.path.join(os.path.dirname(importlib.util.find_spec("matplotlib").origin), "mpl-data", "fonts", "ttf")


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_css(report: Report) -> str:
    """The fonts (embedded from their files) and the page footer: the owner, the date and
    the page number."""
    return _fonts_and_footer(f"{report.owner} · {report.generated_label} · {_('Page')} ")


def _fonts_and_footer(footer_text: str) -> str:
    """The fonts (embedded from their files) and a page footer of ``footer_text`` and the
    page number."""
    folder = _font_folder()
    faces = "".join(
        f'@font-face {{ font-family: "Report Sans"; font-weight: {weight}; font-style: {style}; '
        f'src: url({_css_string("file://" + os.path.join(folder, name))}); }}\n'
        for weight, style, name in FONTS)
    footer = _css_string(footer_text)
    return faces + f"@page {{ @bottom-center {{ content: {footer} counter(page); }} }}\n"


def report_pdf(report: Report, variant: str = READING) -> bytes:
    """``report`` as a tagged PDF of ``variant`` (:data:`READING` or :data:`ARCHIVE`).

    Args:
        report: a built report (with its chart).
        variant: a WeasyPrint ``pdf_variant``.

    Returns:
        The PDF file's bytes.
    """
    import weasyprint

    limit = current_app.config["REPORT_PDF_APPENDIX_LIMIT"]
    inline = len(report.appendix) <= limit
    chart = "data:image/png;base64," + base64.b64encode(report.chart_png).decode("ascii") if report.chart_png else ""
    attachment_name = f"{report.consultation.slug}-kommentarer.csv"
    context = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["SITE_URL"])  # the command line renders outside a request
    with context:
        html = render_template("exports/report_document.html", report=report, method=method_items(report),
                               chart=chart, chart_alt=chart_alt(report), inline_appendix=inline,
                               attachment_name=attachment_name, limit=limit)
    stylesheets = [weasyprint.CSS(string=_page_css(report)),
                   weasyprint.CSS(filename=os.path.join(current_app.static_folder, "css", "report-document.css"))]
    attachments = []
    if not inline:
        data = "".join(csv_chunks(report.appendix)).encode("utf-8")
        attachments.append(weasyprint.Attachment(string=data, name=attachment_name,
                                                 description=_("All published comments (CSV)"),
                                                 relationship="Data"))
    return weasyprint.HTML(string=html, base_url=current_app.static_folder).write_pdf(
        stylesheets=stylesheets, pdf_variant=variant, attachments=attachments, pdf_forms=False)


def document_pdf(html: str, variant: str, footer: str) -> bytes:
    """A document of the archive package (``html``, a whole page from a template in
    ``templates/exports/``) as a tagged PDF of ``variant``, in the report's fonts and
    style, with ``footer`` and the page number at the foot of each page.

    Returns:
        The PDF file's bytes.
    """
    import weasyprint

    stylesheets = [weasyprint.CSS(string=_fonts_and_footer(f"{footer} · {_('Page')} ")),
                   weasyprint.CSS(filename=os.path.join(current_app.static_folder, "css", "report-document.css"))]
    return weasyprint.HTML(string=html, base_url=current_app.static_folder).write_pdf(
        stylesheets=stylesheets, pdf_variant=variant, pdf_forms=False)
