"""Administration pages: users and roles, house rules."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from hoering import permissions
from hoering.accounts import invitations, twofactor
from hoering.accounts.forms import InvitationForm
from hoering.accounts.models import Invitation, Role, User
from hoering.admin import bp
from hoering.admin.services import change_role
from hoering.comments.threads import comments_by_author
from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.forms import MAX_ID, NOT_DONE, page_number, search_text, submit
from hoering.i18n import current_language_code
from hoering.moderation import rules
from hoering.moderation.forms import HouseRuleForm, RoleForm, SecuritySettingsForm
from hoering.moderation.models import HouseRule, active_ban, bans_of

ID = f"int(min=1, max={MAX_ID})"
USERS_PER_PAGE = 50


#: Log in, then 403 unless the user is an administrator.
admin_required = permissions.requires(permissions.can_administer)


@bp.get("/admin/brukere")
@admin_required
def users():
    """Accounts with e-mail (people, not imported participants), searchable, 50 a page."""
    query = sa.select(User).where(User.is_pseudonymous.is_(False)).order_by(User.created_at.desc())
    search = search_text(request.args.get("q")) or ""
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.email).like(pattern),
                                   sa.func.lower(User.display_name).like(pattern)))
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    page = db.paginate(query, page=page_number(request.args.get("page")), per_page=USERS_PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, search=search, role=role)


@bp.route(f"/admin/brukere/<{ID}:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int):
    """One user: role, comments and bans; the admin may change the role."""
    item = db.session.get(User, user_id)
    if item is None:
        abort(404)
    form = RoleForm() if request.method == "POST" else RoleForm(data={"role": item.role})
    done, status = submit(form, lambda: change_role(item, current_user, form.role.data))
    if done is not NOT_DONE:
        flash(_("The role is changed."), "success")
        return redirect(url_for("admin.user", user_id=item.id), code=303)
    return render_template("admin/user.html", user=item, form=form, comments=comments_by_author(item.id),
                           bans=bans_of(item.id),
                           active_ban=active_ban(item)), status


@bp.get("/admin/ordensregler")
@admin_required
def house_rules():
    """All house rules, in use or not, with links to edit them."""
    return render_template("admin/house_rules.html", rules=rules.house_rules(active_only=False))


@bp.route("/admin/ordensregler/ny", methods=["GET", "POST"])
@admin_required
def new_house_rule():
    """Write a new house rule."""
    return _house_rule_form(None)


@bp.route(f"/admin/ordensregler/<{ID}:rule_id>", methods=["GET", "POST"])
@admin_required
def edit_house_rule(rule_id: int):
    """Edit a house rule (its code stays, so the audit log keeps its meaning)."""
    rule = db.session.get(HouseRule, rule_id)
    if rule is None:
        abort(404)
    return _house_rule_form(rule)


def _house_rule_form(rule: HouseRule | None):
    if request.method == "POST":
        form = HouseRuleForm()
    elif rule is not None:
        form = HouseRuleForm(data={"code": rule.code, "title": rule.title, "description": rule.description,
                                   "title_nn": rule.title_nn, "description_nn": rule.description_nn,
                                   "title_en": rule.title_en, "description_en": rule.description_en,
                                   "position": rule.position, "is_active": rule.is_active})
    else:
        form = HouseRuleForm()
    if rule is not None:
        form.code.data = rule.code  # the code is fixed once used
    status = 200
    if form.validate_on_submit():
        target = rule or HouseRule(code=form.code.data)
        target.title = form.title.data
        target.description = form.description.data or ""
        for name in ("title_nn", "description_nn", "title_en", "description_en"):
            setattr(target, name, getattr(form, name).data or "")
        target.position = form.position.data or 0
        target.is_active = form.is_active.data
        db.session.add(target)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.code.errors = [*form.code.errors, _("Another house rule has this code.")]
            status = 409
        else:
            flash(_("The house rule is saved."), "success")
            return redirect(url_for("admin.house_rules"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("admin/house_rule_form.html", form=form, rule=rule), status


@bp.route("/admin/sikkerhet", methods=["GET", "POST"])
@admin_required
def security():
    """Site security settings: whether staff roles must use two-factor login."""
    form = SecuritySettingsForm() if request.method == "POST" else SecuritySettingsForm(
        data={"require_two_factor": twofactor.required_for_staff()})
    done, status = submit(form, lambda: twofactor.set_required_for_staff(form.require_two_factor.data, current_user))
    if done is not NOT_DONE:
        flash(_("The settings are saved."), "success")
        return redirect(url_for("admin.security"), code=303)
    staff_without = db.session.scalars(sa.select(User).where(
        User.role != Role.CITIZEN.value, User.totp_secret.is_(None), User.email.is_not(None))
        .order_by(User.display_name)).all()
    return render_template("admin/security.html", form=form, staff_without=staff_without), status


@bp.post(f"/admin/brukere/<{ID}:user_id>/tofaktor")
@admin_required
def reset_two_factor(user_id: int):
    """Switch off a user's two-factor login (lost phone and codes); logged."""
    item = db.session.get(User, user_id)
    if item is None:
        abort(404)
    try:
        twofactor.reset_by_admin(item, current_user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Two-factor login is switched off for %(name)s.", name=item.display_name), "success")
    return redirect(url_for("admin.user", user_id=item.id), code=303)


@bp.route("/admin/invitasjoner", methods=["GET", "POST"])
@admin_required
def invitations_page():
    """Invite a colleague with a staff role by e-mail; the invitations sent, with their
    state, and a button to revoke those still open."""
    form = InvitationForm()
    done, status = submit(form, lambda: invitations.invite(current_user, form.email.data, form.role.data,
                                                           current_language_code()))
    if done is not NOT_DONE:
        flash(_("The invitation is sent to %(email)s.", email=done[0].email), "success")
        return redirect(url_for("admin.invitations_page"), code=303)
    return render_template("admin/invitations.html", form=form, invitations=invitations.invitations()), status


@bp.post(f"/admin/invitasjoner/<{ID}:invitation_id>/trekk-tilbake")
@admin_required
def revoke_invitation(invitation_id: int):
    """Revoke an open invitation: its link stops working; logged."""
    item = db.session.get(Invitation, invitation_id)
    if item is None:
        abort(404)
    try:
        invitations.revoke(item, current_user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The invitation to %(email)s is revoked.", email=item.email), "success")
    return redirect(url_for("admin.invitations_page"), code=303)
