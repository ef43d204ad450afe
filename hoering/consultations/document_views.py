"""The case officers' upload of a document to a consultation: the file is read to its end
even when it is too large (what is over the limit is dropped as it arrives), so that the
edit page comes back with the title typed and why the file was refused (413)."""

from __future__ import annotations

import functools

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from hoering import permissions
from hoering.consultations import bp, services
from hoering.consultations import documents as document_services
from hoering.consultations.models import Consultation
from hoering.consultations.views import DOCUMENT_TITLE_KEY, STORAGE_RETRY_AFTER_SECONDS, stored_form
from hoering.exceptions import ServiceError, Unavailable
from hoering.extensions import csrf, db
from hoering.forms import capped_file_stream


@bp.post("/saksbehandling/hoeringer/<slug>/dokumenter")
@csrf.exempt  # checked below, after the request may be as large as a document
@permissions.requires(permissions.can_manage_consultations)
def upload_document(slug: str):
    """Case officers attach a document (up to ``DOCUMENT_MAX_BYTES``) to a consultation."""
    consultation = services.get_by_slug(slug)
    if consultation is None:
        abort(404)
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    # A file over the limit is read to the end (and all but its first bytes dropped), so
    # the answer is the form again with the title typed and why: a browser shows an answer
    # sent before it has sent its whole request as a broken connection, not as the page.
    request.max_content_length = limit * current_app.config["DOCUMENT_UPLOAD_READ_FACTOR"] + 64 * 1024
    request._get_file_stream = functools.partial(capped_file_stream, limit)  # werkzeug's upload hook
    too_large = _("The file is larger than %(mb)d MB, the most that can be attached. Choose a smaller file, or make "
                  "it smaller (a PDF saved with smaller images, say), and send it again.", mb=limit // 1048576)
    try:
        request.form  # noqa: B018 - reads the request: the form fields and the file
    except RequestEntityTooLarge:
        # Larger than we read at all: the title could not be read either.
        return _edit_page_refused(consultation, too_large, 413)
    back = url_for("consultations.edit", slug=slug) + "#dokumenter"

    def refuse(message: str):
        session[DOCUMENT_TITLE_KEY] = request.form.get("title", "")[:200]  # the form comes back filled in
        flash(message, "error")
        return redirect(back, code=303)

    try:
        validate_csrf(request.form.get("csrf_token"))
    except (CSRFError, ValidationError):
        return refuse(_("The form had expired. Send it again."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return refuse(_("Choose a file to attach."))
    if getattr(upload.stream, "overflowed", False):
        return _edit_page_refused(consultation, too_large, 413)
    try:
        document, added = document_services.add_document(consultation, current_user, upload.stream,
                                                         upload.filename, request.form.get("title", ""))
    except Unavailable as error:
        db.session.rollback()
        return _edit_page_unavailable(consultation, str(error.message))
    except ServiceError as error:
        db.session.rollback()
        return refuse(str(error.message))
    if added:
        flash(_("“%(title)s” is attached.", title=document.title), "success")
    else:
        flash(_("This file is attached already, as “%(title)s”.", title=document.title), "info")
    return redirect(back, code=303)


def _edit_page_unavailable(consultation: Consultation, message: str):
    """The edit page again, 503 with Retry-After, with ``message`` and the document title
    that was typed, so the file can be chosen and sent again once the store answers."""
    flash(message, "error")
    page = render_template("consultations/form.html", form=stored_form(consultation), consultation=consultation,
                           documents=document_services.documents_of(consultation.id),
                           document_title=request.form.get("title", "")[:200])
    return page, 503, {"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)}


def _edit_page_refused(consultation: Consultation, message: str, status: int):
    """The edit page again with ``status``, ``message`` at the file field and the document
    title that was typed (when the request could be read), for a file that was refused."""
    try:
        title = request.form.get("title", "")[:200]
    except RequestEntityTooLarge:
        title = ""
    page = render_template("consultations/form.html", form=stored_form(consultation), consultation=consultation,
                           documents=document_services.documents_of(consultation.id), document_title=title,
                           document_error=message)
    return page, status
