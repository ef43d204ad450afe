"""The staff pages of urgent notices: the list of current and past ones, publish, change, end."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering import permissions
from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.forms import MAX_ID, NOT_DONE, submit
from hoering.notices import bp, services
from hoering.notices.forms import NoticeForm
from hoering.notices.models import UrgentNotice
from hoering.timeutil import oslo_to_utc, to_oslo, utcnow

ID = f"int(min=1, max={MAX_ID})"
notices_required = permissions.requires(permissions.can_publish_notices)


@bp.get("/saksbehandling/viktige-meldinger")
@notices_required
def notices():
    """Current and coming notices, and the past ones."""
    current, past = services.all_notices()
    return render_template("notices/list.html", current=current, past=past, now=utcnow())


@bp.route("/saksbehandling/viktige-meldinger/ny", methods=["GET", "POST"])
@notices_required
def new_notice():
    """Publish a notice; it is shown from its start time."""
    form = NoticeForm()
    if not form.is_submitted():
        start = to_oslo(utcnow()).replace(second=0, microsecond=0, tzinfo=None)
        form.starts_at.data = start
        form.ends_at.data = start.replace(hour=23, minute=59)
    return _handle(form, None)


@bp.route(f"/saksbehandling/viktige-meldinger/<{ID}:notice_id>", methods=["GET", "POST"])
@notices_required
def edit_notice(notice_id: int):
    """Change a notice."""
    notice = db.session.get(UrgentNotice, notice_id) or abort(404)
    if request.method == "POST":
        return _handle(NoticeForm(), notice)
    return _handle(NoticeForm(formdata=None, data={
        "title": notice.title, "body_markdown": notice.body_markdown, "severity": notice.severity,
        "starts_at": to_oslo(notice.starts_at).replace(tzinfo=None),
        "ends_at": to_oslo(notice.ends_at).replace(tzinfo=None)}), notice)


@bp.post(f"/saksbehandling/viktige-meldinger/<{ID}:notice_id>/avslutt")
@notices_required
def end_notice(notice_id: int):
    """Stop showing a notice now."""
    notice = db.session.get(UrgentNotice, notice_id) or abort(404)
    try:
        services.end_notice(current_user, notice)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The notice is no longer shown."), "success")
    return redirect(url_for("notices.notices"), code=303)


def _handle(form: NoticeForm, notice: UrgentNotice | None):
    def save():
        data = services.NoticeData(
            title=form.title.data, body_markdown=form.body_markdown.data or "", severity=form.severity.data,
            starts_at=oslo_to_utc(form.starts_at.data), ends_at=oslo_to_utc(form.ends_at.data))
        if notice is None:
            return services.publish_notice(current_user, data)
        return services.change_notice(current_user, notice, data)

    saved, status = submit(form, save)
    if saved is not NOT_DONE:
        flash(_("The notice is saved. It is shown on every page from its start until its end."), "success")
        return redirect(url_for("notices.notices"), code=303)
    return render_template("notices/form.html", form=form, notice=notice), status
