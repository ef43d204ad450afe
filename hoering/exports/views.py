"""The consultation's staff page, comment exports, the summary report and the chart."""

from __future__ import annotations

from flask import Response, abort, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from hoering import permissions
from hoering.consultations import services as consultation_services
from hoering.consultations.models import Consultation
from hoering.exports import bp
from hoering.exports.files import report_file
from hoering.exports.formats import comments_xlsx, consultation_meta, csv_chunks, json_chunks
from hoering.exports.report import build_report
from hoering.exports.responses import column_labels as response_column_labels
from hoering.exports.responses import response_rows, responses_csv, responses_json, responses_xlsx
from hoering.exports.responses import value_labels as response_value_labels
from hoering.exports.rows import column_labels, comment_rows, exported_states, value_labels
from hoering.summaries import duplicates
from hoering.summaries.services import summary_view
from hoering.summaries.statistics import comments_per_day_chart, statistics

export_required = permissions.requires(permissions.can_export)

#: Download formats: (MIME type, file name suffix).
COMMENT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json; charset=utf-8", "json"),
}
#: Report formats: (MIME type, file name ending). ``pdf`` is tagged PDF/UA to read, ``pdfa``
#: PDF/A-3a for the archive (:mod:`hoering.exports.pdf`).
REPORT_FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": ("application/pdf", "pdf"),
    "pdfa": ("application/pdf", "pdfa.pdf"),
}


def _consultation_or_404(slug: str) -> Consultation:
    """The consultation with ``slug`` if the current user may see it, else 404 (a draft is
    not revealed to moderators, who may not see drafts)."""
    consultation = consultation_services.get_by_slug(slug)
    if consultation is None or not permissions.can_view_consultation(current_user, consultation):
        abort(404)
    return consultation


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})


@bp.get("/saksbehandling/hoeringer/<slug>")
@export_required
def staff_page(slug: str):
    """Statistics, the chart, and the exports of one consultation."""
    consultation = _consultation_or_404(slug)
    return render_template("exports/staff.html", consultation=consultation, stats=statistics(consultation),
                           full=permissions.can_moderate(current_user))


@bp.get("/saksbehandling/hoeringer/<slug>/kommentarer.<fmt>")
@export_required
def comments_export(slug: str, fmt: str):
    """The comments as CSV, XLSX or JSON: published ones for case officers; for
    moderators every state, marked in the ``state`` column. The XLSX file is made in a
    child process (:func:`~hoering.exports.formats.comments_xlsx`)."""
    if fmt not in COMMENT_FORMATS:
        abort(404)
    consultation = _consultation_or_404(slug)
    full = permissions.can_moderate(current_user)
    mimetype, suffix = COMMENT_FORMATS[fmt]
    filename = f"{consultation.slug}-{'kommentarer-alle' if full else 'kommentarer'}.{suffix}"
    if fmt == "xlsx":
        return _download(comments_xlsx(consultation, full=full, sheet_title=_("Comments"), labels=column_labels(),
                                       values=value_labels()), mimetype, filename)
    # Groups among the rows exported only: a case officer's file must not hint at hidden comments.
    groups = duplicates.group_numbers(consultation, states=exported_states(full))
    rows = comment_rows(consultation, full=full, duplicate_groups=groups)
    if fmt == "csv":
        return _download(stream_with_context(csv_chunks(rows, column_labels())), mimetype, filename)
    return _download(stream_with_context(json_chunks(consultation_meta(consultation), rows)), mimetype, filename)


@bp.get("/saksbehandling/hoeringer/<slug>/hoeringssvar.<fmt>")
@export_required
def responses_export(slug: str, fmt: str):
    """The formal responses as CSV, XLSX or JSON, one row each: only what may be
    published (:mod:`hoering.exports.responses`), for moderators and case officers alike."""
    if fmt not in COMMENT_FORMATS:
        abort(404)
    consultation = _consultation_or_404(slug)
    mimetype, suffix = COMMENT_FORMATS[fmt]
    filename = f"{consultation.slug}-hoeringssvar.{suffix}"
    if fmt == "xlsx":
        return _download(responses_xlsx(consultation, _("Formal responses"), response_column_labels(),
                                        response_value_labels()), mimetype, filename)
    rows = response_rows(consultation)
    if fmt == "csv":
        return _download(responses_csv(rows, response_column_labels()), mimetype, filename)
    return _download(responses_json(consultation_meta(consultation), rows), mimetype, filename)


@bp.get("/saksbehandling/hoeringer/<slug>/rapport.<fmt>")
@export_required
def report_download(slug: str, fmt: str):
    """The summary report as DOCX, PDF/UA or PDF/A (a draft summary is included, marked)."""
    if fmt not in REPORT_FORMATS:
        abort(404)
    consultation = _consultation_or_404(slug)
    mimetype, ending = REPORT_FORMATS[fmt]
    return _download(report_file(consultation, fmt), mimetype, f"{consultation.slug}-rapport.{ending}")


@bp.get("/hoeringer/<slug>/rapport")
def report_page(slug: str):
    """The summary report as a print-friendly page: public once the summary is published;
    staff see it before, with the draft marked."""
    consultation = _consultation_or_404(slug)
    staff = permissions.can_export_consultation(current_user, consultation)
    if not staff and summary_view(consultation) is None:
        abort(404)  # before any of the work of building the report
    report = build_report(consultation, include_draft=staff, with_chart=False)
    if not staff:  # the public sees the themes the published summary speaks of, not moderators' working themes
        shown = {section.theme.id for section in report.summary.sections}
        report.stats.themes = [count for count in report.stats.themes if count.theme.id in shown]
        report.splits = []  # contested themes the summary has no section for
    return render_template("exports/report.html", report=report, consultation=consultation, staff=staff)


@bp.get("/hoeringer/<slug>/kommentarer-per-dag.png")
def chart(slug: str):
    """The comments-per-day chart (PNG) of a consultation the visitor may see."""
    consultation = _consultation_or_404(slug)
    png = comments_per_day_chart(consultation, _("Comments per day"))
    shared = "public" if consultation.published_at is not None else "private"
    return Response(png, mimetype="image/png", headers={"Cache-Control": f"{shared}, max-age=300"})
