"""Case officers' pages for formal responses: the list with filters, registering a response
that came by letter or e-mail, and screening a response before publication."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering import permissions
from hoering.consultations import services as consultation_services
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.forms import MAX_ID, parse_id
from hoering.responses import analysis, bp, screening, services
from hoering.responses.forms import RegisterResponseForm, ScreeningForm
from hoering.responses.models import FormalResponse
from hoering.responses.views import form_data, read_response_request, read_uploads, validate_all
from hoering.timeutil import end_of_oslo_day, oslo_today, utcnow


def _consultation_or_404(slug: str):
    consultation = consultation_services.get_by_slug(slug)
    if consultation is None or not consultation.accepts_responses:
        abort(404)
    return consultation


@bp.get("/saksbehandling/hoeringer/<slug>/hoeringssvar")
@permissions.requires(permissions.can_screen_responses)
def staff_list(slug: str):
    """Every response of a consultation, unscreened first, with a filter by state."""
    consultation = _consultation_or_404(slug)
    status = request.args.get("status", "all")
    if status not in services.STAFF_FILTERS:
        status = "all"
    return render_template("responses/staff_list.html", consultation=consultation, status=status,
                           responses=services.staff_responses(consultation.id, status),
                           filters=services.STAFF_FILTERS)


def _registered_data(form: RegisterResponseForm) -> services.ResponseData:
    data = form_data(form)
    data.channel = form.channel.data
    day = form.received_on.data
    # A letter received today is dated now (the end of today is still to come); a later day is refused.
    data.received_at = (min(end_of_oslo_day(day), utcnow()) if day <= oslo_today() else end_of_oslo_day(day)) \
        if day else None
    return data


@csrf.exempt  # the form checks its token itself, after the request may be as large as its attachments
@bp.route("/saksbehandling/hoeringer/<slug>/hoeringssvar/ny", methods=["GET", "POST"])
@permissions.requires(permissions.can_screen_responses)
def register(slug: str):
    """Register a response that came by letter or e-mail: channel, day received, sender,
    text and the scan or attachments."""
    consultation = _consultation_or_404(slug)
    if request.method == "GET":
        return _register_page(consultation, RegisterResponseForm(formdata=None, data={"channel": "letter"}))
    if not read_response_request():
        form = RegisterResponseForm(formdata=None)
        form.form_errors.append(_("What you sent is larger than %(mb)d MB, so it could not be read.",
                                  mb=request.max_content_length // (1024 * 1024)))
        return _register_page(consultation, form, 413)
    form, uploads = RegisterResponseForm(), read_uploads()
    staged = validate_all(form, uploads, _registered_data)
    if staged is None:
        return _register_page(consultation, form, 422, files_sent=bool(uploads))
    try:
        response = services.register_response(consultation, current_user, _registered_data(form), staged)
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(str(error.message))
        return _register_page(consultation, form, error.status, files_sent=bool(uploads))
    flash(_("The response is registered as %(reference)s.", reference=response.reference), "success")
    return redirect(url_for("responses.screen", response_id=response.id), code=303)


def _register_page(consultation, form, status: int = 200, files_sent: bool = False):
    return render_template("responses/register.html", consultation=consultation, form=form,
                           files_sent=files_sent), status


@bp.route(f"/saksbehandling/hoeringssvar/<int(min=1, max={MAX_ID}):response_id>", methods=["GET", "POST"])
@permissions.requires(permissions.can_screen_responses)
def screen(response_id: int):
    """A response as sent, its screening log, and the decision: publish, publish with
    parts removed, or keep back with the legal ground."""
    response = db.session.get(FormalResponse, response_id)
    if response is None:
        abort(404)
    form = ScreeningForm() if request.method == "POST" else ScreeningForm(formdata=None, data={
        "decision": response.state if response.state in screening.DECISIONS else None,
        "legal_ground": response.legal_ground, "public_text": response.public_text or response.text})
    form.legal_ground.choices = [("", _("– none –"))] + [(g, g) for g in screening.legal_grounds()]
    status = 200
    if request.method == "POST":
        withheld = {parse_id(value) for value in request.form.getlist("withhold")} - {None, 0}
        if form.validate():
            try:
                screening.screen_response(response, current_user, form.decision.data, form.legal_ground.data or "",
                                          form.public_text.data, withheld, form.note.data or "")
            except ServiceError as error:
                db.session.rollback()
                target = getattr(form, error.field, None) if error.field else None
                (target.errors.append if target is not None else form.form_errors.append)(str(error.message))
                status = error.status
            else:
                flash(_("The decision on %(reference)s is saved.", reference=response.reference), "success")
                return redirect(url_for("responses.staff_list", slug=response.consultation.slug), code=303)
        else:
            status = 422
    return render_template("responses/screen.html", response=response, consultation=response.consultation,
                           form=form, log=screening.screening_log(response.id),
                           withheld={a.id for a in response.attachments if a.withheld},
                           themes=analysis.themes_for(response.consultation_id),
                           tagged=analysis.theme_ids_of(response.id)), status


@bp.post(f"/saksbehandling/hoeringssvar/<int(min=1, max={MAX_ID}):response_id>/temaer")
@permissions.requires(permissions.can_screen_responses)
def tag_themes(response_id: int):
    """Tag a response with its consultation's themes (the ticked ones; the others are removed)."""
    response = db.session.get(FormalResponse, response_id)
    if response is None:
        abort(404)
    chosen = {parse_id(value) for value in request.form.getlist("theme")} - {None}
    try:
        analysis.set_response_themes(response, current_user, chosen)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The themes of %(reference)s are saved.", reference=response.reference), "success")
    return redirect(url_for("responses.screen", response_id=response.id) + "#themes-heading", code=303)
