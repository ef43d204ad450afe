"""Formal responses: the public form, the receipt, the public list and the attachments."""

from __future__ import annotations

import functools

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from hoering import permissions
from hoering.consultations.views import get_visible_or_404
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.file_responses import stored_file_response
from hoering.forms import MAX_ID, capped_file_stream
from hoering.i18n import current_language_code
from hoering.outage import keep_text_on_outage
from hoering.ratelimit import limit, on_rate_limit
from hoering.responses import bp, services
from hoering.responses.forms import ResponseForm
from hoering.storage import NotStored


def request_limit() -> int:
    """The largest request a response form may send, in bytes: every attachment at its
    largest, and room for the text fields."""
    config = current_app.config
    return config["RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES"] + config["RESPONSE_ATTACHMENT_MAX_BYTES"] + 1024 * 1024


def read_response_request() -> bool:
    """Read a response form's request now. A file over ``RESPONSE_ATTACHMENT_MAX_BYTES`` is
    read to its end with all but its first bytes dropped (:func:`hoering.forms.capped_file_stream`),
    so the form comes back with what was typed and why; only a request over
    ``DOCUMENT_UPLOAD_READ_FACTOR`` times :func:`request_limit` is not read at all.

    Returns:
        ``False`` when the request was too large to read (answer 413 with an empty form).
    """
    request.max_content_length = request_limit() * current_app.config["DOCUMENT_UPLOAD_READ_FACTOR"]
    request._get_file_stream = functools.partial(capped_file_stream,
                                                 current_app.config["RESPONSE_ATTACHMENT_MAX_BYTES"])
    try:
        request.form, request.files  # noqa: B018 - parse the body now, within the limit
    except RequestEntityTooLarge:
        return False
    return True


def read_uploads() -> list[services.Upload]:
    """The files posted as ``attachments`` (empty file inputs left out)."""
    return [services.Upload(f.filename, f.stream) for f in request.files.getlist("attachments") if f.filename]


def form_data(form) -> services.ResponseData:
    """The :class:`services.ResponseData` of a response form."""
    return services.ResponseData(
        sender_name=form.sender_name.data or "", sender_email=form.sender_email.data or "",
        organisation_name=form.organisation_name.data or "", organisation_number=form.organisation_number.data or "",
        on_behalf_of_organisation=bool(form.on_behalf_of_organisation.data), text=form.text.data or "",
        consent_to_publication=form.consent.data == "yes", language=current_language_code())


def validate_all(form, uploads: list[services.Upload], data_of) -> services.StagedUploads | None:
    """Validate the form's fields, the rules between them and the attachments at once, so
    that every error is shown together; returns the staged attachments when all is well,
    else ``None`` (the errors are on the form, the files removed)."""
    valid = form.validate()
    if form.csrf_token.errors:
        form.form_errors.append(_("The form had expired, so it was not sent. Check what you wrote and send again."))
    for name, message in services.check_data(data_of(form)).items():
        if message not in getattr(form, name).errors:
            getattr(form, name).errors = [*getattr(form, name).errors, str(message)]
            valid = False
    staged = services.stage_attachments(uploads)
    if staged.errors:
        form.form_errors.extend(staged.errors)
        valid = False
    if not (form.text.data or "").strip() and not staged.files and not staged.errors:
        form.text.errors = [*form.text.errors, _("Write your response, or attach it as a file.")]
        valid = False
    if not valid:
        staged.discard()
        return None
    return staged


def render_form(consultation, form, status: int = 200, files_sent: bool = False):
    """The response form page; ``files_sent`` says that chosen files must be chosen again."""
    return render_template("responses/send.html", consultation=consultation, form=form, files_sent=files_sent,
                           can_send=permissions.can_send_response(current_user, consultation)), status


# The form checks its CSRF token itself (FlaskForm), after the request may be as large as its attachments.
@csrf.exempt
@bp.route("/hoeringer/<slug>/hoeringssvar/send", methods=["GET", "POST"])
@limit("RATELIMIT_RESPONSES")
def send(slug: str):
    """The response form: anyone may send one while the consultation takes them; a
    logged-in sender finds their name and address filled in. Every error is shown at once,
    with what was typed (attachments must be chosen again: the page says so)."""
    consultation = get_visible_or_404(slug)
    if not consultation.accepts_responses:
        abort(404)
    if request.method == "GET":
        form = ResponseForm(formdata=None, data={
            "sender_name": getattr(current_user, "display_name", "") if current_user.is_authenticated else "",
            "sender_email": getattr(current_user, "email", "") if current_user.is_authenticated else ""})
        return render_form(consultation, form)
    if not read_response_request():
        form = ResponseForm(formdata=None)
        form.form_errors.append(_("What you sent is larger than %(mb)d MB, so it could not be read. Attach "
                                  "smaller files (at most %(each)d MB each) and send again.",
                                  mb=request.max_content_length // (1024 * 1024),
                                  each=current_app.config["RESPONSE_ATTACHMENT_MAX_BYTES"] // (1024 * 1024)))
        return render_form(consultation, form, 413)
    form, uploads = ResponseForm(), read_uploads()
    if not permissions.can_send_response(current_user, consultation):
        form.form_errors.append(_("This consultation does not take responses now."))
        return render_form(consultation, form, 403, files_sent=bool(uploads))
    staged = validate_all(form, uploads, form_data)
    if staged is None:
        return render_form(consultation, form, 422, files_sent=bool(uploads))
    try:
        response = services.submit_response(consultation, current_user, form_data(form), staged)
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(str(error.message))
        return render_form(consultation, form, error.status, files_sent=bool(uploads))
    return redirect(url_for("responses.receipt", token=response.token), code=303)


keep_text_on_outage("responses.send", "text", _l("Your response"))


@on_rate_limit("responses.send")
def _send_rate_limited(message: str):
    consultation = get_visible_or_404(request.view_args["slug"])
    request.max_content_length = request_limit()  # the form is read again here, attachments and all
    try:
        form = ResponseForm()
    except RequestEntityTooLarge:
        form = ResponseForm(formdata=None)
    form.form_errors.append(message)
    return render_form(consultation, form, files_sent=bool(request.files))[0]


@bp.get("/hoeringssvar/kvittering/<token>")
def receipt(token: str):
    """The receipt: the reference number and what was received. Reached only through the
    unguessable token in the address (sent in the receipt mail too)."""
    response = services.by_token(token)
    if response is None:
        abort(404)
    return render_template("responses/receipt.html", response=response, consultation=response.consultation), 200, {
        "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/hoeringer/<slug>/hoeringssvar")
def public_list(slug: str):
    """Every screened response: the published ones with their public text and attachments,
    and of those held back only that they exist and the legal ground."""
    consultation = get_visible_or_404(slug)
    responses = services.public_responses(consultation.id)
    if not consultation.accepts_responses and not responses:
        abort(404)
    return render_template("responses/list.html", consultation=consultation, responses=responses,
                           can_send=permissions.can_send_response(current_user, consultation))


@bp.get(f"/hoeringssvar/<int(min=1, max={MAX_ID}):response_id>")
def permalink(response_id: int):
    """Where a response is shown (search results link here): its screening page for case
    officers, else its place on the public list once it is published."""
    response = services.response_by_id(response_id)
    if response is None or not permissions.can_view_response(current_user, response):
        abort(404)
    if permissions.can_screen_responses(current_user):
        return redirect(url_for("responses.screen", response_id=response.id), code=303)
    return redirect(url_for("responses.public_list", slug=response.consultation.slug) + f"#{response.reference}",
                    code=303)


@bp.get(f"/hoeringssvar/vedlegg/<int(min=1, max={MAX_ID}):attachment_id>/<filename>")
def attachment(attachment_id: int, filename: str):
    """An attachment of a published response (not withheld), or any for case officers;
    downloaded, never shown in the browser."""
    found = services.attachment(attachment_id)
    if found is None or not permissions.can_view_response(current_user, found.response):
        abort(404)
    if found.withheld and not permissions.can_screen_responses(current_user):
        abort(404)
    if filename != found.filename:
        return redirect(url_for("responses.attachment", attachment_id=attachment_id, filename=found.filename))
    try:
        stored = services.open_attachment(found)
    except NotStored:
        abort(404)
    # Downloaded, never shown in the browser; private: a withheld attachment is for case officers.
    return stored_file_response(stored, mime=found.mime, filename=found.filename, content_hash=found.content_hash,
                                inline=False, private=True, max_age=0)
