"""The summary report as a file: DOCX (:func:`hoering.exports.word.report_docx`), a PDF to
read (PDF/UA) or a PDF for the archive (PDF/A-3a) (:mod:`hoering.exports.pdf`)."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _

from hoering import isolation
from hoering.comments.models import CommentState
from hoering.consultations.models import Consultation
from hoering.exports.pdf import ARCHIVE, READING, report_pdf
from hoering.exports.report import build_report
from hoering.exports.word import report_docx
from hoering.extensions import db
from hoering.summaries.duplicates import groups_of
from hoering.summaries.statistics import comments_per_day_chart

#: The report's file formats: ``docx``, ``pdf`` (PDF/UA, to read) and ``pdfa`` (PDF/A-3a,
#: for the archive).
FORMATS = ("docx", "pdf", "pdfa")


def report_file(consultation: Consultation, fmt: str) -> bytes:
    """The summary report (draft included, marked) as a DOCX or PDF file, made in a child
    process (:mod:`hoering.isolation`: python-docx with lxml, WeasyPrint with its fonts,
    matplotlib for the chart, scikit-learn for the near-duplicate count, never load into
    the web worker), which reads the consultation itself.

    Args:
        consultation: a loaded consultation.
        fmt: one of :data:`FORMATS`.

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
    if fmt == "docx":
        return report_docx(report)
    return report_pdf(report, ARCHIVE if fmt == "pdfa" else READING)


