"""Following a consultation, and unsubscribing from a mail's link without logging in."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hoering import permissions
from hoering.consultations import services as consultation_services
from hoering.consultations.models import Consultation
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.i18n import safe_next_url
from hoering.notifications import bp, services


@bp.post("/hoeringer/<slug>/folg")
@login_required
def follow(slug: str):
    """Follow (``follow=1``) or stop following a published consultation."""
    consultation = consultation_services.get_by_slug(slug)
    if consultation is None or consultation.published_at is None:
        abort(404)
    follow_it = request.form.get("follow") == "1"
    if follow_it and not permissions.can_participate(current_user):
        abort(403)  # banned users read, but do not take part
    back = safe_next_url(request.form.get("next"), url_for("consultations.detail", slug=slug))
    try:
        services.set_following(current_user, consultation, follow_it)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("You follow this consultation: we e-mail you about replies, the summary and the decision.")
              if follow_it else _("You no longer follow this consultation."), "success")
    return redirect(back, code=303)


@bp.route("/avmelding/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail programs post here without a session (RFC 8058)
def unsubscribe_page(token: str):
    """Stop mails from a mail's link: a page with a button, or one click (POST)."""
    found = services.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user_id, consultation_id = found
    consultation = db.session.get(Consultation, consultation_id) if consultation_id else None
    if consultation_id and consultation is None:
        abort(404)  # a consultation deleted since the mail was sent
    if request.method == "POST":
        services.unsubscribe(user_id, consultation_id)
        return render_template("notifications/unsubscribed.html", consultation=consultation)
    return render_template("notifications/unsubscribe.html", consultation=consultation, token=token)
