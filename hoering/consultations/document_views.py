"""The case officers' upload of a document to a consultation: the file is read to its end
even when it is too large (:mod:`hoering.uploads`), so that the edit page comes back with
the title typed and why the file was refused (413)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering import permissions
from hoering.consultations import bp, services
from hoering.consultations import documents as document_services
from hoering.consultations.models import Consultation
from hoering.consultations.views import DOCUMENT_TITLE_KEY, STORAGE_RETRY_AFTER_SECONDS, stored_form
from hoering.exceptions import ServiceError, Unavailable
from hoering.extensions import csrf, db
from hoering.uploads import RefusedUpload, read_document_upload


@bp.post("/saksbehandling/hoeringer/<slug>/dokumenter")
@csrf.exempt  # checked below, after the request may be as large as a document
@permissions.requires(permissions.can_manage_consultations)
def upload_document(slug: str):
    """Case officers attach a document (up to ``DOCUMENT_MAX_BYTES``) to a consultation."""
    consultation = services.get_by_slug(slug)
    if consultation is None:
        abort(404)
    back = url_for("consultations.edit", slug=slug) + "#dokumenter"
    try:
        upload, title = read_document_upload(current_app.config["DOCUMENT_MAX_BYTES"])
    except RefusedUpload as refused:
        if refused.status == 413:
            return _edit_page_refused(consultation, refused.message, refused.title, 413)
        return _refuse(back, refused.message, refused.title)
    try:
        document, added = document_services.add_document(consultation, current_user, upload.stream,
                                                         upload.filename, title)
    except Unavailable as error:
        db.session.rollback()
        return _edit_page_unavailable(consultation, str(error.message))
    except ServiceError as error:
        db.session.rollback()
        return _refuse(back, str(error.message), title)
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


def _refuse(back: str, message: str, title: str):
    """Back to the edit page (303) with ``message`` and the title typed in the form."""
    session[DOCUMENT_TITLE_KEY] = title[:200]  # the form comes back filled in
    flash(message, "error")
    return redirect(back, code=303)


def _edit_page_refused(consultation: Consultation, message: str, title: str, status: int):
    """The edit page again with ``status``, ``message`` at the file field and the document
    ``title`` that was typed, for a file that was refused."""
    page = render_template("consultations/form.html", form=stored_form(consultation), consultation=consultation,
                           documents=document_services.documents_of(consultation.id), document_title=title[:200],
                           document_error=message)
    return page, status
