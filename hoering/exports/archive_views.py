"""The archive package page for case officers: where the consultation is filed, and the
package to download (:mod:`hoering.exports.archive_package`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering import permissions
from hoering.consultations import services as consultation_services
from hoering.consultations.models import Consultation
from hoering.exceptions import ValidationFailed
from hoering.exports import archive_package, bp
from hoering.exports.forms import CaseRecordForm
from hoering.forms import NOT_DONE, submit

export_required = permissions.requires(permissions.can_export)


def _consultation_or_404(slug: str) -> Consultation:
    """The consultation for a case officer; 404 where the user may not see it (a moderator
    is not told that a draft exists), 403 for other staff who may see it."""
    consultation = consultation_services.get_by_slug(slug)
    if consultation is None or not permissions.can_view_consultation(current_user, consultation):
        abort(404)
    if not permissions.can_manage_consultations(current_user):
        abort(403)
    return consultation


@bp.route("/saksbehandling/hoeringer/<slug>/arkivpakke", methods=["GET", "POST"])
@export_required
def archive_page(slug: str):
    """Case officers set the case number and classification and download the package."""
    consultation = _consultation_or_404(slug)
    record = archive_package.case_record(consultation)
    form = CaseRecordForm(obj=record)
    saved, status = submit(form, lambda: archive_package.save_case_record(
        consultation, form.case_number.data, form.classification_system.data, form.class_id.data))
    if saved is not NOT_DONE:
        flash(_("Saved."), "success")
        return redirect(url_for("exports.archive_page", slug=slug), code=303)
    try:
        archive_package.check_ready(consultation)
        not_ready = ""
    except ValidationFailed as error:
        not_ready = str(error.message)
    return render_template("exports/archive.html", consultation=consultation, form=form, record=record,
                           not_ready=not_ready, unscreened=archive_package.unscreened_references(consultation)), status


@bp.get("/saksbehandling/hoeringer/<slug>/arkivpakke.zip")
@export_required
def archive_download(slug: str):
    """The archive package (ZIP) of a closed consultation; 409 with the page while it is
    open or a draft."""
    consultation = _consultation_or_404(slug)
    try:
        package = archive_package.build_package(consultation)
    except ValidationFailed as error:
        flash(str(error.message), "error")
        return redirect(url_for("exports.archive_page", slug=slug), code=303)
    return archive_package.package_zip(package), 200, {
        "Content-Type": "application/zip", "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{archive_package.package_filename(consultation)}"'}
