"""The invitee's page: the link from an administrator's invitation (:mod:`hoering.accounts.invitations`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from hoering.accounts import bp, invitations, throttle, twofactor
from hoering.accounts.forms import AcceptInvitationForm
from hoering.accounts.views import _add_account_errors
from hoering.exceptions import ServiceError
from hoering.ratelimit import limit


@bp.route("/invitasjon/<token>", methods=["GET", "POST"])
@limit("RATELIMIT_REGISTRATION", per_address=True)
def accept_invitation(token: str):
    """Choose a name and password, get the invitation's role and be logged in; where the
    role requires two-factor login, switching it on comes next. A used, revoked or expired
    link answers 410 with what to do."""
    try:
        invitation = invitations.invitation_for_token(token[:200])
    except invitations.InvitationGone as error:
        return render_template("accounts/invitation_gone.html", message=error.message), error.status
    form = AcceptInvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.display_name.data, form.password.data)
        except invitations.InvitationGone as error:
            return render_template("accounts/invitation_gone.html", message=error.message), error.status
        except ServiceError as error:
            _add_account_errors(form, error)
            status = error.status
        else:
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            throttle.trust_this_device(user)
            flash(_("Welcome, %(name)s! Your account has been created.", name=user.display_name), "success")
            if twofactor.lacks_required_two_factor(user):
                flash(_("Your role requires two-factor login. Switch it on to continue."), "info")
                return redirect(url_for("accounts.two_factor", next=url_for("dashboard.index")), code=303)
            return redirect(url_for("dashboard.index"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/invitation.html", form=form, invitation=invitation,
                           two_factor_required=twofactor.required_for_staff()), status
