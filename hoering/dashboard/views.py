"""The staff dashboard (the landing page for staff after login) and its "new comments" door."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from hoering import permissions
from hoering.consultations.models import Consultation
from hoering.dashboard import bp, services
from hoering.extensions import db
from hoering.forms import MAX_ID

#: Log in, then 403 unless the user is staff.
staff_required = permissions.requires(permissions.can_see_dashboard)


@bp.get("/personale")
@staff_required
def index():
    """Per consultation at work: pending comments, open reports, new comments, formal
    responses awaiting screening and days to the deadline, each linked to where it is dealt with."""
    return render_template("dashboard/index.html", work=services.work_at_hand(current_user))


@bp.get(f"/personale/hoeringer/<int(min=1, max={MAX_ID}):consultation_id>/nye")
@staff_required
def read_new(consultation_id: int):
    """Note that the staff member looks at the consultation's comments now, and show them,
    newest first."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not permissions.can_view_consultation(current_user, consultation):
        abort(404)
    services.mark_viewed(current_user, consultation)
    return redirect(url_for("consultations.detail", slug=consultation.slug, sort="newest") + "#comments-heading",
                    code=303)
