"""Case officers' pages for political bodies, members, meetings, agenda items, documents
and minutes. A refused form comes back with what was typed and the reason (422, or the
service's status)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from hoering import permissions
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.forms import MAX_ID, NOT_DONE, parse_id, submit
from hoering.meetings import agenda, bp, services
from hoering.meetings.forms import AgendaItemForm, BodyForm, DocumentForm, MeetingForm, MemberForm, MinutesForm
from hoering.meetings.models import AgendaItem, BodyMember, Meeting, MeetingDocument
from hoering.meetings.views import _labels, body_or_404
from hoering.timeutil import oslo_to_utc, to_oslo
from hoering.uploads import RefusedUpload, read_document_upload

manage = permissions.requires(permissions.can_manage_meetings)


def _meeting_or_404(meeting_id: int) -> Meeting:
    found = services.get_meeting(meeting_id) if meeting_id <= MAX_ID else None
    if found is None:
        abort(404)
    return found


@bp.get("/saksbehandling/politikk")
@manage
def manage_bodies():
    """The bodies, with links to edit each and to create one."""
    return render_template("meetings/manage.html", bodies=services.list_bodies(), **_labels())


@bp.route("/saksbehandling/politikk/ny", methods=["GET", "POST"])
@manage
def new_body():
    """Create a political body."""
    return _body_page(None, BodyForm())


@bp.route("/saksbehandling/politikk/<slug>", methods=["GET", "POST"])
@manage
def edit_body(slug: str):
    """Edit a body; its members and meetings are listed below the form."""
    found = body_or_404(slug)
    form = BodyForm() if request.method == "POST" else BodyForm(formdata=None, obj=found)
    return _body_page(found, form)


def _body_page(body, form: BodyForm, member_form: MemberForm | None = None, status: int = 200):
    if request.method == "POST" and member_form is None:
        saved, status = submit(form, lambda: services.save_body(
            current_user, body, name=form.name.data, kind=form.kind.data, slug=form.slug.data or "",
            description=form.description.data or "", portal_url=form.portal_url.data or "",
            position=form.position.data or 0))
        if saved is not NOT_DONE:
            flash(_("The body is saved."), "success")
            return redirect(url_for("meetings.edit_body", slug=saved.slug), code=303)
    meetings = services.meetings_of(body.id, public_only=False) if body else []
    return render_template("meetings/body_form.html", body=body, form=form, member_form=member_form or MemberForm(
        formdata=None), meetings=meetings, **_labels()), status


@bp.post("/saksbehandling/politikk/<slug>/medlemmer")
@manage
def add_member(slug: str):
    """Add a member to a body."""
    found = body_or_404(slug)
    form = MemberForm()
    saved, status = submit(form, lambda: services.add_member(current_user, found, name=form.name.data,
                                                             role=form.role.data, party=form.party.data or ""))
    if saved is NOT_DONE:
        return _body_page(found, BodyForm(formdata=None, obj=found), form, status or 422)
    flash(_("%(name)s is added.", name=saved.name), "success")
    return redirect(url_for("meetings.edit_body", slug=slug) + "#members-heading", code=303)


@bp.route("/saksbehandling/medlemmer/<int:member_id>", methods=["GET", "POST"])
@manage
def edit_member(member_id: int):
    """Change a member's name, role or party."""
    member = db.session.get(BodyMember, member_id) if member_id <= MAX_ID else None
    if member is None:
        abort(404)
    form = MemberForm() if request.method == "POST" else MemberForm(formdata=None, obj=member)
    saved, status = submit(form, lambda: services.add_member(current_user, member.body, name=form.name.data,
                                                             role=form.role.data, party=form.party.data or "",
                                                             member=member))
    if saved is not NOT_DONE:
        flash(_("The member is saved."), "success")
        return redirect(url_for("meetings.edit_body", slug=member.body.slug) + "#members-heading", code=303)
    return render_template("meetings/member_form.html", member=member, form=form), status


@bp.post("/saksbehandling/medlemmer/<int:member_id>/slett")
@manage
def remove_member(member_id: int):
    """Take a member off their body."""
    member = db.session.get(BodyMember, member_id) if member_id <= MAX_ID else None
    if member is None:
        abort(404)
    slug = member.body.slug
    services.remove_member(current_user, member)
    flash(_("The member is removed."), "success")
    return redirect(url_for("meetings.edit_body", slug=slug) + "#members-heading", code=303)


@bp.route("/saksbehandling/politikk/<slug>/moter/ny", methods=["GET", "POST"])
@manage
def new_meeting(slug: str):
    """Create a meeting of a body."""
    found = body_or_404(slug)
    return _meeting_page(found, None, MeetingForm())


@bp.route("/saksbehandling/moter/<int:meeting_id>", methods=["GET", "POST"])
@manage
def edit_meeting(meeting_id: int):
    """Edit a meeting; its agenda, documents, publishing and minutes are reached from here."""
    found = _meeting_or_404(meeting_id)
    return _meeting_page(found.body, found, MeetingForm() if request.method == "POST" else _stored_meeting_form(found))


def _stored_meeting_form(meeting: Meeting) -> MeetingForm:
    return MeetingForm(formdata=None, data={
        "starts_at": to_oslo(meeting.starts_at).replace(tzinfo=None), "place": meeting.place,
        "status": meeting.status})


def _meeting_page(body, meeting, form: MeetingForm, status: int = 200, document_refusal: RefusedUpload | None = None):
    """The meeting's edit page; a POST of the meeting form is saved first. With
    ``document_refusal``, the page again (its status) after an upload that was refused."""
    if request.method == "POST" and document_refusal is None:
        saved, status = submit(form, lambda: services.save_meeting(
            current_user, body, meeting, starts_at=oslo_to_utc(form.starts_at.data), place=form.place.data or "",
            status=form.status.data))
        if saved is not NOT_DONE:
            flash(_("The meeting is saved."), "success")
            return redirect(url_for("meetings.edit_meeting", meeting_id=saved.id), code=303)
    document_form = _document_form(meeting) if meeting else None
    if document_form is not None:
        document_form.title.data = session.pop(DOCUMENT_TITLE_KEY, "")
    if document_refusal is not None:
        document_form.title.data, status = document_refusal.title, document_refusal.status
    return render_template("meetings/meeting_form.html", body=body, meeting=meeting, form=form,
                           document_form=document_form, **_labels(),
                           document_error=document_refusal.message if document_refusal else None,
                           documents=agenda.documents_of(meeting.id) if meeting else []), status


@bp.post("/saksbehandling/moter/<int:meeting_id>/publiser")
@manage
def publish_agenda(meeting_id: int):
    """Publish a meeting's agenda (the meeting becomes public; followers are mailed)."""
    found = _meeting_or_404(meeting_id)
    try:
        services.publish_agenda(current_user, found)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The agenda is published."), "success")
    return redirect(url_for("meetings.edit_meeting", meeting_id=meeting_id), code=303)


def _item_form(item: AgendaItem | None, **kwargs) -> AgendaItemForm:
    form = AgendaItemForm(**kwargs)
    form.consultation.choices = [SelectChoice("", _l("None"))] + [
        SelectChoice(str(c.id), c.title) for c in agenda.linkable_consultations(item)]
    return form


@bp.route("/saksbehandling/moter/<int:meeting_id>/saker/ny", methods=["GET", "POST"])
@manage
def new_item(meeting_id: int):
    """Add an item to a meeting's agenda."""
    found = _meeting_or_404(meeting_id)
    return _item_page(found, None, _item_form(None))


@bp.route("/saksbehandling/saker/<int:item_id>", methods=["GET", "POST"])
@manage
def edit_item(item_id: int):
    """Edit an agenda item: its number, title, case number, description, the consultation
    it decides and the decision."""
    item = db.session.get(AgendaItem, item_id) if item_id <= MAX_ID else None
    if item is None:
        abort(404)
    if request.method == "POST":
        form = _item_form(item)
    else:
        form = _item_form(item, formdata=None, obj=item)
        form.consultation.data = str(item.consultation_id or "")
    return _item_page(item.meeting, item, form)


def _item_page(meeting: Meeting, item: AgendaItem | None, form: AgendaItemForm):
    saved, status = submit(form, lambda: agenda.save_item(
        current_user, meeting, item, title=form.title.data, number=form.number.data or "",
        case_number=form.case_number.data or "", description=form.description.data or "",
        decision_text=form.decision_text.data or "", consultation_id=parse_id(form.consultation.data),
        position=form.position.data))
    if saved is not NOT_DONE:
        flash(_("The agenda item is saved."), "success")
        return redirect(url_for("meetings.edit_meeting", meeting_id=meeting.id) + "#agenda-heading", code=303)
    return render_template("meetings/item_form.html", meeting=meeting, item=item, form=form), status


@bp.post("/saksbehandling/saker/<int:item_id>/slett")
@manage
def remove_item(item_id: int):
    """Take an item off the agenda."""
    item = db.session.get(AgendaItem, item_id) if item_id <= MAX_ID else None
    if item is None:
        abort(404)
    meeting_id = item.meeting_id
    agenda.remove_item(current_user, item)
    flash(_("The agenda item is removed."), "success")
    return redirect(url_for("meetings.edit_meeting", meeting_id=meeting_id) + "#agenda-heading", code=303)


@bp.route("/saksbehandling/moter/<int:meeting_id>/protokoll", methods=["GET", "POST"])
@manage
def minutes(meeting_id: int):
    """Write the minutes and approve them (then they are public and followers are told)."""
    found = _meeting_or_404(meeting_id)
    form = MinutesForm() if request.method == "POST" else MinutesForm(formdata=None, data={
        "minutes": found.minutes_markdown, "approved_on": found.minutes_approved_on})
    saved, status = submit(form, lambda: services.save_minutes(current_user, found, markdown=form.minutes.data or "",
                                                               approved_on=form.approved_on.data))
    if saved is not NOT_DONE:
        flash(_("The minutes are approved and published.") if saved else _("The minutes are saved."), "success")
        return redirect(url_for("meetings.edit_meeting", meeting_id=meeting_id), code=303)
    return render_template("meetings/minutes_form.html", meeting=found, form=form), status


#: The session key that keeps a refused upload's title for the form.
DOCUMENT_TITLE_KEY = "meeting_document_title"


def _document_form(meeting: Meeting) -> DocumentForm:
    form = DocumentForm(formdata=None)
    form.item.choices = [SelectChoice("", _l("The meeting"))] + [
        SelectChoice(str(item.id), f"{item.number} {item.title}".strip()) for item in meeting.items]
    return form


@bp.post("/saksbehandling/moter/<int:meeting_id>/dokumenter")
@csrf.exempt  # checked by read_document_upload, after the request may be as large as a document
@manage
def upload_document(meeting_id: int):
    """Attach a document (up to ``DOCUMENT_MAX_BYTES``) to a meeting or one of its items. A
    file over the limit brings the meeting page back (413) with the title typed and why."""
    found = _meeting_or_404(meeting_id)
    back = url_for("meetings.edit_meeting", meeting_id=meeting_id) + "#documents-heading"

    def refuse(message: str, title: str):
        session[DOCUMENT_TITLE_KEY] = title[:200]
        flash(message, "error")
        return redirect(back, code=303)

    try:
        upload, title = read_document_upload(current_app.config["DOCUMENT_MAX_BYTES"])
    except RefusedUpload as refused:
        if refused.status == 413:
            return _meeting_page(found.body, found, _stored_meeting_form(found), document_refusal=refused)
        return refuse(refused.message, refused.title)
    item_id = parse_id(request.form.get("item"))
    item = db.session.get(AgendaItem, item_id) if item_id else None
    if item_id and (item is None or item.meeting_id != found.id):
        return refuse(_("Choose an agenda item of this meeting."), title)
    try:
        document = agenda.add_document(current_user, found, item, upload.stream, upload.filename, title)
    except ServiceError as error:
        db.session.rollback()
        return refuse(str(error.message), title)
    flash(_("“%(title)s” is attached.", title=document.title), "success")
    return redirect(back, code=303)


@bp.post("/saksbehandling/motedokumenter/<int:document_id>/slett")
@manage
def delete_document(document_id: int):
    """Detach a meeting's document."""
    document = db.session.get(MeetingDocument, document_id) if document_id <= MAX_ID else None
    if document is None:
        abort(404)
    meeting_id = document.meeting_id
    agenda.remove_document(current_user, document)
    flash(_("The document is removed."), "success")
    return redirect(url_for("meetings.edit_meeting", meeting_id=meeting_id) + "#documents-heading", code=303)
