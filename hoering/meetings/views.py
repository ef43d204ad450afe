"""Public pages of political bodies and meetings: the list of bodies, a body's page, a
meeting's page with its agenda and approved minutes, meeting documents; following a body
and stopping its mails from a mail's link."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hoering import permissions
from hoering.consultations import documents as document_services
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.file_responses import stored_file_response
from hoering.forms import MAX_ID
from hoering.i18n import safe_next_url
from hoering.meetings import agenda, bp, following, services
from hoering.meetings.models import Body, MeetingDocument
from hoering.storage import NotStored


def body_or_404(slug: str) -> Body:
    """The body with ``slug``, or a 404."""
    body = services.get_body_by_slug(slug)
    if body is None:
        abort(404)
    return body


def _labels() -> dict:
    return {"KIND_LABELS": services.KIND_LABELS, "ROLE_LABELS": services.ROLE_LABELS,
            "MEETING_STATUS_LABELS": services.STATUS_LABELS}


@bp.get("/politikk")
def bodies():
    """The political bodies, with the next meetings of all of them."""
    return render_template("meetings/bodies.html", bodies=services.list_bodies(),
                           upcoming=services.meetings_of(None, upcoming=True, limit=10), **_labels())


@bp.get("/politikk/<slug>")
def body(slug: str):
    """A body: what it is, its members by role, its meeting portal, upcoming and past
    meetings."""
    found = body_or_404(slug)
    public_only = not permissions.can_manage_meetings(current_user)
    return render_template(
        "meetings/body.html", body=found, **_labels(),
        upcoming=services.meetings_of(found.id, public_only=public_only, upcoming=True),
        past=services.meetings_of(found.id, public_only=public_only, upcoming=False, limit=50),
        following=following.is_following(current_user, found.id))


@bp.get("/moter/<int:meeting_id>")
def meeting(meeting_id: int):
    """A meeting: time, place, status, the agenda with case numbers, documents and linked
    consultations, and the minutes once approved."""
    found = services.get_meeting(meeting_id) if meeting_id <= MAX_ID else None
    if found is None or not permissions.can_view_meeting(current_user, found):
        abort(404)
    documents = agenda.documents_of(found.id)
    return render_template(
        "meetings/meeting.html", meeting=found, **_labels(),
        meeting_documents=[d for d in documents if d.agenda_item_id is None],
        item_documents={item.id: [d for d in documents if d.agenda_item_id == item.id] for item in found.items},
        can_manage=permissions.can_manage_meetings(current_user))


@bp.get("/moter/dokumenter/<int:document_id>/<filename>")
def document(document_id: int, filename: str):
    """A meeting's document, with headers that keep the browser from guessing its type or
    running anything in it."""
    found = db.session.get(MeetingDocument, document_id) if document_id <= MAX_ID else None
    if found is None:
        abort(404)
    meeting_row = services.get_meeting(found.meeting_id)
    if not permissions.can_view_meeting(current_user, meeting_row):
        abort(404)
    if filename != found.filename:
        return redirect(url_for("meetings.document", document_id=document_id, filename=found.filename), code=302)
    try:
        stored = document_services.open_document(found)
    except NotStored:
        abort(404)
    return stored_file_response(stored, mime=found.mime, filename=found.filename, content_hash=found.content_hash,
                                inline=found.mime in document_services.INLINE_TYPES, private=not meeting_row.is_public)


@bp.get("/politikk/<slug>/folg")
@login_required
def confirm_follow(slug: str):
    """Ask before following a body: where "Log in to follow" (or a follow posted while the
    session had expired) lands after logging in, since a login can only lead to a GET. The
    button posts to :func:`follow`; nothing is changed by this page."""
    found = body_or_404(slug)
    if not permissions.can_follow_body(current_user):
        abort(403)
    return render_template("meetings/follow_confirm.html", body=found,
                           following=following.is_following(current_user, found.id))


@bp.post("/politikk/<slug>/folg")
@login_required
def follow(slug: str):
    """Follow (``follow=1``) or stop following a body."""
    found = body_or_404(slug)
    follow_it = request.form.get("follow") == "1"
    if follow_it and not permissions.can_follow_body(current_user):
        abort(403)
    try:
        following.set_following(current_user, found, follow_it)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("You follow %(body)s: we e-mail you when an agenda is published and when minutes are approved.",
                body=found.name) if follow_it else _("You no longer follow %(body)s.", body=found.name), "success")
    return redirect(safe_next_url(request.form.get("next"), url_for("meetings.body", slug=slug)), code=303)


@bp.route("/politikk/avmelding/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail programs post here without a session (RFC 8058)
def unsubscribe(token: str):
    """Stop the mails about a body from a mail's link: a page with a button, or one click."""
    found = following.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user_id, body_id = found
    body_row = db.session.get(Body, body_id)
    if body_row is None:
        abort(404)
    if request.method == "POST":
        following.unsubscribe(user_id, body_id)
        return render_template("meetings/unsubscribed.html", body=body_row)
    return render_template("meetings/unsubscribe.html", body=body_row, token=token)
