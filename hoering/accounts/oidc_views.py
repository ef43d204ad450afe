"""Logging in with ID-porten and the staff login (OpenID Connect, :mod:`hoering.accounts.oidc`):
the buttons' POSTs that start a login, the callback the provider sends the browser back
to, the first ID-porten login's account page, linking from My page, and the page the
provider sends people to after logging out."""

from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from hoering.accounts import bp, external, oidc, policy, verification
from hoering.accounts.forms import ExternalAccountForm
from hoering.accounts.models import User
from hoering.errors import render_error
from hoering.exceptions import PermissionDenied, ServiceError, Unavailable
from hoering.i18n import safe_next_url
from hoering.ratelimit import form_page_on_rate_limit, limit, made_or_found

#: Session key of an ID-porten login that has no account yet: issuer, subject, when, next.
NEW_ACCOUNT_KEY = "oidc_new_account"
#: The providers' part of the addresses.
SLUG_PATTERN = "any(idporten, ansatt)"


def _provider(slug: str) -> str:
    """The provider of ``slug``; 404 when it is not configured."""
    name = oidc.PROVIDER_OF_SLUG.get(slug)
    if name is None or not oidc.is_configured(name):
        abort(404)
    return name


def _start(slug: str, purpose: str, next_url: str):
    name = _provider(slug)
    try:
        target = oidc.begin(name, purpose, next_url)
    except Unavailable as error:
        return render_error(503, title=_("Login is not available just now"), message=str(error.message),
                            next_step=(url_for("accounts.login"), _("Log in with e-mail and password")))
    response = redirect(target, code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post(f"/logg-inn/<{SLUG_PATTERN}:service>")
@limit("RATELIMIT_OIDC", per_address=True)
def oidc_start(service: str):
    """The "Logg inn med ID-porten" and "Logg inn for ansatte" buttons: a POST with a
    CSRF token (the global check), answered with a redirect to the provider."""
    next_url = safe_next_url(request.form.get("next") or request.args.get("next"), url_for("consultations.index"))
    return _start(service, "login", next_url)


@bp.post(f"/min-side/koble/<{SLUG_PATTERN}:service>")
@login_required
@limit("RATELIMIT_OIDC", per_address=True)
def oidc_link(service: str):
    """Link ID-porten (or the staff login) to the logged-in account: log in there once."""
    return _start(service, "link", url_for("accounts.profile"))


@bp.get(f"/logg-inn/<{SLUG_PATTERN}:service>/tilbake")
def oidc_callback(service: str):
    """Where the provider sends the browser back with ``code`` and ``state``."""
    name = _provider(service)
    try:
        assertion = oidc.finish(name)
    except Unavailable as error:
        return render_error(503, title=_("Login is not available just now"), message=str(error.message),
                            next_step=(url_for("accounts.login"), _("Log in with e-mail and password")))
    except ServiceError as error:
        return render_error(error.status, title=_("You are not logged in"), message=str(error.message),
                            next_step=(url_for("accounts.login"), _("Back to the login page")))
    if assertion.purpose == "link":
        return _link(assertion)
    if name == oidc.STAFF:
        return _staff_login(assertion)
    user = external.sign_in_citizen(assertion)
    if user is None:
        _begin_session()
        session[NEW_ACCOUNT_KEY] = {"issuer": assertion.issuer, "subject": assertion.subject, "at": int(time.time()),
                                    "next": assertion.next_url, "mfa": assertion.second_factor}
        oidc.remember_for_logout(assertion, "")
        return redirect(url_for("accounts.oidc_new_account"), code=303)
    return _log_in(user, assertion)


def _begin_session() -> None:
    """A new session for the login (no data of the anonymous one carries over, the CSRF
    token included): the flashes alone are kept."""
    flashes = session.get("_flashes")
    session.clear()
    if flashes:
        session["_flashes"] = flashes


def _log_in(user: User, assertion):
    _begin_session()
    login_user(user, remember=False)
    oidc.remember_for_logout(assertion, user.get_id())
    flash(_("You are logged in."), "success")
    return redirect(safe_next_url(assertion.next_url, url_for("consultations.index")), code=303)


def _staff_login(assertion):
    if policy.required_for_staff() and not assertion.second_factor:
        return render_error(403, title=_("You are not logged in"), message=_(
            "This service requires two-factor login for staff, and the municipality's login did not confirm that "
            "you used it. Log in again with your second factor, or ask the IT department."),
            next_step=(url_for("accounts.login"), _("Back to the login page")))
    try:
        user = external.sign_in_staff(assertion)
    except PermissionDenied as error:
        return render_error(403, title=_("You are not logged in"), message=str(error.message),
                            next_step=(url_for("accounts.login"), _("Back to the login page")))
    return _log_in(user, assertion)


def _link(assertion):
    if not current_user.is_authenticated:
        return render_error(400, title=_("Nothing was linked"), message=_("Log in first, then link from My page."),
                            next_step=(url_for("accounts.login"), _("Log in")))
    try:
        external.link(current_user._get_current_object(), assertion)
    except ServiceError as error:
        return render_error(error.status, title=_("Nothing was linked"), message=str(error.message),
                            next_step=(url_for("accounts.profile"), _("Back to My page")))
    login_user(current_user._get_current_object(), remember=False)  # a role change ended the sessions
    oidc.remember_for_logout(assertion, current_user.get_id())
    flash(_("The login is linked to your account. You can use it to log in from now on."), "success")
    return redirect(url_for("accounts.profile"), code=303)


def _waiting_identity() -> dict | None:
    waiting = session.get(NEW_ACCOUNT_KEY)
    if not isinstance(waiting, dict) or time.time() - waiting.get("at", 0) > 3600 \
            or not oidc.is_configured(oidc.IDPORTEN):
        return None
    return waiting


@bp.route("/logg-inn/idporten/ny-konto", methods=["GET", "POST"])
@limit("RATELIMIT_REGISTRATION", per_address=True, counts=made_or_found)
def oidc_new_account():
    """The first login with ID-porten: choose a display name (and an e-mail address for
    notifications, if wanted); the account is made and logged in."""
    waiting = _waiting_identity()
    if waiting is None:
        session.pop(NEW_ACCOUNT_KEY, None)
        flash(_("Log in again: the login took too long or was not started."), "info")
        return redirect(url_for("accounts.login"), code=303)
    form = ExternalAccountForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = external.create_citizen(waiting["issuer"], waiting["subject"], form.display_name.data,
                                           form.email.data)
        except ServiceError as error:
            field = getattr(form, error.field or "display_name")
            field.errors = [*field.errors, str(error.message)]
            status = error.status
        else:
            logout = session.get(oidc.LOGOUT_KEY)
            _begin_session()
            login_user(user, remember=False)
            if logout:
                session[oidc.LOGOUT_KEY] = logout
            if waiting.get("mfa"):
                session[oidc.MFA_KEY] = user.get_id()
            flash(_("Welcome, %(name)s! Your account has been created.", name=user.display_name), "success")
            if user.email:
                verification.send_verification_mail(user)
                flash(_("We have sent a link to %(email)s. Open it to confirm your address for notifications.",
                        email=user.email), "info")
            return redirect(safe_next_url(waiting.get("next"), url_for("consultations.index")), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/oidc_new_account.html", form=form), status


form_page_on_rate_limit("accounts.oidc_new_account", ExternalAccountForm, "accounts/oidc_new_account.html")


@bp.get("/logget-ut")
def logged_out():
    """Where ID-porten and the staff login send people after logging out there too."""
    return redirect(url_for("consultations.index"), code=303)
