"""The draft text in sections: the public pages ("Les utkastet", one section with its
comments and the form to comment on it) and the case officers' page to edit the sections."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering import permissions
from hoering.comments.forms import CommentForm
from hoering.consultations import bp, services
from hoering.consultations import sections as section_services
from hoering.consultations.forms import SectionForm
from hoering.consultations.models import Consultation, Section
from hoering.consultations.views import get_visible_or_404
from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.forms import MAX_ID, NOT_DONE, submit

ID = f"int(min=1, max={MAX_ID})"
#: Comments shown under each section on the page of the whole draft (all on the section's own page).
COMMENTS_PER_SECTION = 3
#: Comments shown on a section's own page.
COMMENTS_ON_SECTION_PAGE = 500


@bp.get("/hoeringer/<slug>/utkast")
def draft_text(slug: str):
    """The draft text, section by section, with the latest comments on each."""
    consultation = get_visible_or_404(slug)
    if not consultation.sections:
        abort(404)
    return render_template("consultations/draft.html", consultation=consultation,
                           counts=section_services.published_comment_counts(consultation.id),
                           comments=section_services.published_comments_by_section(
                               consultation.id, per_section=COMMENTS_PER_SECTION),
                           shown=COMMENTS_PER_SECTION)


@bp.get(f"/hoeringer/<slug>/utkast/<{ID}:section_id>")
def draft_section(slug: str, section_id: int):
    """One section, every comment on it, and the form to comment on it ("Kommenter § 2")."""
    consultation = get_visible_or_404(slug)
    section = db.session.get(Section, section_id)
    if section is None or section.consultation_id != consultation.id:
        abort(404)
    comments = section_services.published_comments_by_section(consultation.id, section_id=section.id)
    form = CommentForm(formdata=None, data={"section_id": str(section.id)})
    return render_template("consultations/draft_section.html", consultation=consultation, section=section,
                           comments=comments.get(section.id, [])[-COMMENTS_ON_SECTION_PAGE:], comment_form=form,
                           reply_to=None)


def _consultation_or_404(slug: str) -> Consultation:
    consultation = services.get_by_slug(slug)
    if consultation is None:
        abort(404)
    return consultation


@bp.route("/saksbehandling/hoeringer/<slug>/utkast", methods=["GET", "POST"])
@permissions.requires(permissions.can_manage_consultations)
def edit_sections(slug: str):
    """The sections of the draft text, and the form to add one."""
    consultation = _consultation_or_404(slug)
    form = SectionForm()

    def save():
        return section_services.add_section(current_user, consultation, _data(form))

    saved, status = submit(form, save)
    if saved is not NOT_DONE:
        flash(_("The section “%(section)s” is added.", section=saved.label), "success")
        return redirect(url_for("consultations.edit_sections", slug=consultation.slug), code=303)
    return render_template("consultations/sections.html", consultation=consultation, form=form,
                           counts=section_services.published_comment_counts(consultation.id)), status


@bp.route(f"/saksbehandling/seksjoner/<{ID}:section_id>", methods=["GET", "POST"])
@permissions.requires(permissions.can_manage_consultations)
def edit_section(section_id: int):
    """Change one section."""
    section = db.session.get(Section, section_id) or abort(404)
    if request.method == "POST":
        form = SectionForm()
    else:
        form = SectionForm(formdata=None, data={"number": section.number, "heading": section.heading,
                                                "text_markdown": section.text_markdown,
                                                "place": section.position + 1})

    def save():
        return section_services.change_section(current_user, section, _data(form))

    saved, status = submit(form, save)
    if saved is not NOT_DONE:
        flash(_("The section “%(section)s” is saved.", section=saved.label), "success")
        return redirect(url_for("consultations.edit_sections", slug=section.consultation.slug), code=303)
    return render_template("consultations/section_form.html", section=section, form=form), status


@bp.post(f"/saksbehandling/seksjoner/<{ID}:section_id>/slett")
@permissions.requires(permissions.can_manage_consultations)
def delete_section(section_id: int):
    """Remove a section no comment is about."""
    section = db.session.get(Section, section_id) or abort(404)
    slug = section.consultation.slug
    try:
        section_services.remove_section(current_user, section)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The section is removed."), "success")
    return redirect(url_for("consultations.edit_sections", slug=slug), code=303)


def _data(form: SectionForm) -> section_services.SectionData:
    return section_services.SectionData(number=form.number.data or "", heading=form.heading.data or "",
                                        text_markdown=form.text_markdown.data or "", place=form.place.data)
