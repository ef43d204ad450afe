"""Account pages: register, log in, log out, profile."""

from __future__ import annotations

import functools
import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from hoering import permissions
from hoering.accounts import bp, external, oidc, services, throttle, twofactor, verification
from hoering.accounts.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
    TwoFactorCodeForm,
    TwoFactorSetupForm,
)
from hoering.accounts.models import User
from hoering.comments.threads import comments_by_author
from hoering.errors import render_error, too_many_requests
from hoering.exceptions import PermissionDenied, ServiceError
from hoering.extensions import after_response, db
from hoering.i18n import current_language_code, ngettext, safe_next_url
from hoering.moderation.models import active_ban
from hoering.notifications.services import deliver_account_mails, followed_consultations
from hoering.ratelimit import form_page_on_rate_limit, limit, limit_by, limit_per_account, made_or_found


@bp.route("/registrer", methods=["GET", "POST"])
@limit("RATELIMIT_REGISTRATION", per_address=True, counts=made_or_found)
def register():
    """Create a citizen account and log it in. The limit per address counts accounts made
    (and answers that an address has one), not forms with mistakes: many people share one
    address at a school or a library."""
    if current_user.is_authenticated:
        return redirect(url_for("consultations.index"))
    form = RegistrationForm()
    next_url = safe_next_url(request.args.get("next"), url_for("consultations.index"))
    status = 200
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.display_name.data, form.password.data)
        except ServiceError as error:
            _add_account_errors(form, error)
            status = error.status
        else:
            login_user(user)
            throttle.trust_this_device(user)
            verification.send_verification_mail(user)
            flash(_("Welcome, %(name)s! Your account has been created.", name=user.display_name), "success")
            flash(_("We have sent a link to %(email)s. Open it to confirm your address: your comments are published "
                    "when you have done so.", email=user.email), "info")
            return redirect(next_url, code=303)
    elif form.is_submitted():
        status = 422
        # The form's own checks failed; the account's rules (a name or address taken, a
        # password like the address) are told now too, for the fields that passed them.
        try:
            services.check_new_account(form.email.data or "", form.display_name.data or "", form.password.data or "")
        except ServiceError as error:
            _add_account_errors(form, error, only_to_fields_without_errors=True)
    return render_template("accounts/register.html", form=form), status


def _add_account_errors(form: RegistrationForm, error: ServiceError, only_to_fields_without_errors=False) -> None:
    """Put each message of ``error`` (:meth:`ServiceError.by_field`) on its field of the
    registration ``form`` (the display name when none is named); with
    ``only_to_fields_without_errors``, fields that have a message already keep just theirs."""
    had_errors = {name for name, field in form._fields.items() if field.errors}
    for name, message in error.by_field():
        field = getattr(form, name or "display_name")
        if only_to_fields_without_errors and field.name in had_errors:
            continue
        field.errors = [*field.errors, str(message)]


@bp.route("/logg-inn", methods=["GET", "POST"])
@limit("RATELIMIT_LOGIN", failures_only=True, per_address=True)
def login():
    """Log in with e-mail and password, optionally remembered on this device.

    Guessing is slowed per account and client with growing waits, and an account under
    attack is opened to a browser it does not know only by a mailed link
    (:mod:`hoering.accounts.throttle`); a browser that logged in before is never locked
    out by strangers."""
    form = LoginForm()
    next_url = safe_next_url(request.args.get("next"), url_for("consultations.index"))
    status = 200
    if form.validate_on_submit():
        guard = throttle.LoginGuard(form.email.data, services.find_by_email(form.email.data))
        wait = guard.wait_seconds()
        if wait:
            return too_many_requests(wait)
        restricted = guard.restricted()
        user = services.authenticate(form.email.data, form.password.data)
        if user is None or restricted:
            guard.record_failure()
            if guard.user is not None and guard.under_attack():
                after_response(functools.partial(_warn_owner, guard.user.id))
            if restricted:
                if user is not None:
                    after_response(functools.partial(_send_sign_in_link, user.id, current_language_code()))
                return render_template("accounts/login_link_sent.html"), 200
            form.password.errors = [*form.password.errors, _("Wrong e-mail address or password.")]
            status = 401
        else:
            guard.succeeded()
            if not request.args.get("next") and user.is_staff:
                next_url = url_for("dashboard.index")  # staff land on their work at hand
            if user.has_two_factor:
                return _ask_for_second_factor(user, bool(form.remember.data), next_url)
            return _complete_login(user, bool(form.remember.data), next_url)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


def _ask_for_second_factor(user: User, remember: bool, next_url: str):
    """The password was right (or a mailed link stood for it); the code comes next, on its own page."""
    session[TWO_FACTOR_SESSION_KEY] = {"user": user.get_id(), "remember": remember, "next": next_url,
                                       "at": int(time.time())}
    return redirect(url_for("accounts.two_factor_login"), code=303)


def _complete_login(user: User, remember: bool, next_url: str):
    """Log ``user`` in on this browser, which the account knows from now on."""
    login_user(user, remember=remember)
    throttle.trust_this_device(user)
    flash(_("You are logged in."), "success")
    if twofactor.lacks_required_two_factor(user):
        flash(_("Your role requires two-factor login. Switch it on to continue."), "info")
        return redirect(url_for("accounts.two_factor", next=next_url), code=303)
    return redirect(next_url, code=303)


def _warn_owner(user_id: int) -> None:
    """Run once the response has gone: mail the owner that someone is guessing (at most once a period)."""
    mail_id = verification.warn_of_password_guessing(user_id)
    if mail_id is not None and current_app.config["MAIL_ACCOUNT_INLINE"]:
        deliver_account_mails([mail_id])


def _send_sign_in_link(user_id: int, language: str) -> None:
    """Run once the response has gone: mail the one-time sign-in link (a few an hour at most)."""
    if not throttle.allow_sign_in_mail(user_id):
        return
    mail_id = verification.mail_sign_in_link(user_id, language)
    if mail_id is not None and current_app.config["MAIL_ACCOUNT_INLINE"]:
        deliver_account_mails([mail_id])


@bp.route("/logg-inn/lenke/<token>", methods=["GET", "POST"])
def sign_in_link(token: str):
    """The link mailed after the right password while the account was under attack: the
    page it opens has one button, and the POST logs in (or asks for the second factor).
    Mail scanners open links by themselves, so the GET changes nothing."""
    token = token[:500]
    try:
        user, token_id = verification.user_for_sign_in_token(token)
    except ServiceError as error:
        return render_error(400, title=_("The link does not work"), message=str(error.message),
                            next_step=(url_for("accounts.login"), _("Log in")))
    if request.method == "POST":  # the global CSRF check has passed
        if not throttle.spend_once(token_id, current_app.config["SIGN_IN_LINK_MAX_AGE"]):
            return render_error(400, title=_("The link does not work"),
                                message=_("The link is not valid or has been used. Log in again to get a new one."),
                                next_step=(url_for("accounts.login"), _("Log in")))
        if user.has_two_factor:
            return _ask_for_second_factor(user, False, url_for("consultations.index"))
        return _complete_login(user, False, url_for("consultations.index"))
    response = current_app.make_response(render_template("accounts/sign_in_link.html", user=user))
    response.headers["Cache-Control"] = "no-store"  # a page reached with a secret link
    return response


#: Session key of a login waiting for its second factor.
TWO_FACTOR_SESSION_KEY = "two_factor_login"
#: Seconds the second factor may take after the password.
TWO_FACTOR_SECONDS = 300


def _waiting_login() -> tuple[User, dict] | None:
    """The user whose password was right and who now owes a code, with the login's data."""
    waiting = session.get(TWO_FACTOR_SESSION_KEY)
    if not isinstance(waiting, dict) or time.time() - waiting.get("at", 0) > TWO_FACTOR_SECONDS:
        return None
    user_id, _dot, version = str(waiting.get("user", "")).partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or str(user.session_version) != version or not user.has_two_factor:
        return None
    return user, waiting


def _two_factor_key() -> str:
    """Codes count per account; a browser that has logged in to the account before counts
    on its own, so someone else who has the password cannot lock the owner out there."""
    waiting = session.get(TWO_FACTOR_SESSION_KEY)
    if not isinstance(waiting, dict):
        return "two-factor:" + str(request.remote_addr)
    user_id = str(waiting.get("user", "")).partition(".")[0]
    device = throttle.known_device(int(user_id)) if user_id.isdigit() else None
    return "two-factor:" + str(waiting.get("user")) + (f":device:{device}" if device else "")


@bp.route("/logg-inn/kode", methods=["GET", "POST"])
@limit_by("RATELIMIT_TWO_FACTOR", _two_factor_key)
def two_factor_login():
    """The second step of logging in: a code from the authenticator app or a recovery code."""
    found = _waiting_login()
    if found is None:
        session.pop(TWO_FACTOR_SESSION_KEY, None)
        flash(_("Log in again: the login took too long or was not started."), "info")
        return redirect(url_for("accounts.login"), code=303)
    user, waiting = found
    form = TwoFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        found = twofactor.check_login_code(user, form.code.data)
        if found in (twofactor.APP_CODE, twofactor.RECOVERY_CODE):
            session.pop(TWO_FACTOR_SESSION_KEY, None)
            login_user(user, remember=waiting.get("remember", False))
            throttle.trust_this_device(user)
            flash(_("You are logged in."), "success")
            left = twofactor.recovery_codes_left(user)
            if found == twofactor.RECOVERY_CODE:
                flash(ngettext("You used a recovery code; it cannot be used again. You have %(num)s left.",
                               "You used a recovery code; it cannot be used again. You have %(num)s left.", left),
                      "info")
            if left <= 2:
                flash(_("You have few recovery codes left. Make new ones on the two-factor page."), "info")
            return redirect(safe_next_url(waiting.get("next"), url_for("consultations.index")), code=303)
        if found == twofactor.USED_APP_CODE:
            message = _("This code has been used already. Wait until the app shows the next code, and enter that.")
        else:
            message = _("The code is not right, or it has been used.")
        form.code.errors = [*form.code.errors, message]
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("accounts/two_factor_login.html", form=form), status


form_page_on_rate_limit("accounts.two_factor_login", TwoFactorCodeForm, "accounts/two_factor_login.html")


form_page_on_rate_limit("accounts.register", RegistrationForm, "accounts/register.html")


form_page_on_rate_limit("accounts.login", LoginForm, "accounts/login.html")


@bp.post("/logg-ut")
def logout():
    """Log out; a POST with a CSRF token (the global CSRF check covers it). Every session
    of the account ends, so a copy of the cookie taken before does not live on."""
    if current_user.is_authenticated:
        services.log_out_everywhere(current_user._get_current_object())
    logout_user()
    session.pop(PENDING_SECRET_KEY, None)
    session.pop(TWO_FACTOR_SESSION_KEY, None)
    flash(_("You are logged out, on this device and on every other."), "info")
    # Logged in with ID-porten or the staff login: end the session there too.
    return redirect(oidc.logout_redirect() or url_for("consultations.index"), code=303)


@bp.route("/min-side", methods=["GET", "POST"])
@login_required
def profile():
    """Show and change one's own account details."""
    # Stored values fill the form only when it is shown; a posted form stands on its own.
    form = ProfileForm() if request.method == "POST" else ProfileForm(data={"display_name": current_user.display_name})
    if form.is_submitted() and permissions.is_banned(current_user):
        abort(403)  # a banned user may not change how their comments are signed
    status = 200
    if form.validate_on_submit():
        try:
            services.change_display_name(current_user, form.display_name.data)
        except ServiceError as error:
            form.display_name.errors = [*form.display_name.errors, str(error.message)]
            status = error.status
        else:
            flash(_("Your display name has been saved."), "success")
            return redirect(url_for("accounts.profile"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/profile.html", form=form, my_comments=comments_by_author(current_user.id),
                           ban=active_ban(current_user), following=followed_consultations(current_user),
                           needs_verification=services.needs_email_verification(current_user),
                           linked=external.linked_providers(current_user)), status


@bp.route("/min-side/passord", methods=["GET", "POST"])
@login_required
@limit("RATELIMIT_PASSWORD_CHECK")
def change_password():
    """Change one's password; other sessions end, this one goes on."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as error:
            db.session.rollback()
            field = form.new_password if error.field == "password" else form.current_password
            field.errors = [*field.errors, str(error.message)]
            status = error.status
        else:
            _renew_login()
            flash(_("Your password has been changed. You are logged out everywhere else."), "success")
            return redirect(url_for("accounts.profile"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/password.html", form=form), status


def _renew_login() -> None:
    """Log the current user in again after a change that ended every session (a new
    password, a two-factor change): this session goes on with the new session version, and
    so does this browser's remember-me cookie if it had one; copies of the old ones do not."""
    remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")) is not None
    login_user(current_user._get_current_object(), remember=remembered)


@bp.get("/personvern")
def privacy():
    """What the platform stores about people, and why (GDPR art. 13)."""
    return render_template("accounts/privacy.html")


@bp.get("/min-side/data.json")
@login_required
def my_data():
    """Download everything stored about oneself, as JSON."""
    import json

    body = json.dumps(services.export_data(current_user), ensure_ascii=False, indent=2)
    return current_app.response_class(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="mine-data.json"', "Cache-Control": "private, no-store"})


@bp.route("/min-side/slett", methods=["GET", "POST"])
@login_required
@limit("RATELIMIT_PASSWORD_CHECK")
def delete_account():
    """Delete one's account (the password confirms it)."""
    status = 200
    if request.method == "POST":
        try:
            services.delete_account(current_user, request.form.get("password", ""),
                                    confirmed=request.form.get("confirm") == "yes")
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            status = error.status
        else:
            logout_user()
            flash(_("Your account has been deleted."), "success")
            return redirect(url_for("consultations.index"), code=303)
    return render_template("accounts/delete.html"), status


# --- e-mail verification and password reset ---------------------------------------------------

@bp.route("/bekreft-epost/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """The link in the verification mail opens a page with one button; the POST confirms
    the address and lets the waiting comments go on. (Mail scanners open links by
    themselves, so the GET changes nothing.)"""
    token = token[:500]
    try:
        user = verification.user_for_verification_token(token)
    except ServiceError as error:
        return render_error(400, title=_("The link does not work"), message=str(error.message),
                            next_step=(url_for("accounts.profile"), _("Send a new link from My page")))
    if request.method == "POST":  # the global CSRF check has passed
        published, to_moderators = verification.verify_email(token)
        flash(_("Thank you! Your e-mail address is confirmed."), "success")
        if published:
            flash(ngettext("%(num)s comment that waited for this is now published.",
                           "%(num)s comments that waited for this are now published.", published), "info")
        if to_moderators:
            flash(ngettext("%(num)s comment that waited for this has gone to the moderators, who publish it "
                           "when they have read it.",
                           "%(num)s comments that waited for this have gone to the moderators, who publish "
                           "them when they have read them.", to_moderators), "info")
        return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"), code=303)
    waiting = len([c for c in comments_by_author(user.id) if c.state == "pending"])
    return render_template("accounts/verify_email.html", user=user, waiting=waiting,
                           already=user.email_verified_at is not None)


@bp.post("/min-side/bekreft-epost")
@login_required
@limit("RATELIMIT_ACCOUNT_MAIL")
def resend_verification():
    """Send the verification mail again."""
    if services.needs_email_verification(current_user):
        verification.send_verification_mail(current_user)
        flash(_("We have sent a new link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("accounts.profile"), code=303)


@bp.route("/glemt-passord", methods=["GET", "POST"])
@limit("RATELIMIT_ACCOUNT_MAIL", per_address=True)
@limit_per_account("RATELIMIT_ACCOUNT_MAIL")
def forgot_password():
    """Ask for a password-reset link; the answer is the same whether or not the address
    has an account."""
    form = ForgotPasswordForm()
    status = 200
    if form.validate_on_submit():
        after_response(functools.partial(_send_reset_link, form.email.data, current_language_code()))
        return render_template("accounts/forgot_password.html", form=form, sent_to=form.email.data)
    if form.is_submitted():
        status = 422
    return render_template("accounts/forgot_password.html", form=form), status


def _send_reset_link(email: str, language: str) -> None:
    """Look the address up and mail the link: run once the response has gone."""
    mail_id = verification.request_password_reset(email, language)
    if mail_id is not None and current_app.config["MAIL_ACCOUNT_INLINE"]:
        deliver_account_mails([mail_id])


form_page_on_rate_limit("accounts.forgot_password", ForgotPasswordForm, "accounts/forgot_password.html")


@bp.route("/nytt-passord/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the mail (the link itself changes nothing)."""
    token = token[:500]
    try:
        verification.user_for_reset_token(token)
    except ServiceError as error:
        return render_error(400, title=_("The link does not work"), message=str(error.message),
                            next_step=(url_for("accounts.forgot_password"), _("Ask for a new link")))
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            verification.reset_password(token, form.new_password.data)
        except ServiceError as error:
            db.session.rollback()
            form.new_password.errors = [*form.new_password.errors, str(error.message)]
            status = error.status
        else:
            logout_user()
            flash(_("Your password has been changed. Log in with the new one."), "success")
            return redirect(url_for("accounts.login"), code=303)
    elif form.is_submitted():
        status = 422
    response = current_app.make_response((render_template("accounts/reset_password.html", form=form), status))
    response.headers["Cache-Control"] = "no-store"  # a page reached with a secret link
    return response


# --- two-factor login ---------------------------------------------------------------------------

#: Session key of the secret shown while two-factor login is being set up.
PENDING_SECRET_KEY = "two_factor_secret"


@bp.route("/min-side/tofaktor", methods=["GET", "POST"])
@login_required
@limit("RATELIMIT_PASSWORD_CHECK")
def two_factor():
    """Switch two-factor login on (scan the QR code, type a code), see how many recovery
    codes are left, make new ones, or switch it off."""
    form = TwoFactorSetupForm()
    status = 200
    if current_user.has_two_factor:
        return render_template("accounts/two_factor.html", form=form, confirm=PasswordConfirmForm(),
                               codes_left=twofactor.recovery_codes_left(current_user))
    secret = _pending_secret()
    if form.validate_on_submit():
        try:
            codes = twofactor.enable(current_user, secret, form.code.data, form.password.data)
        except ServiceError as error:
            db.session.rollback()
            field = form.password if error.field == "password" else form.code
            field.errors = [*field.errors, str(error.message)]
            status = error.status
        else:
            session.pop(PENDING_SECRET_KEY, None)
            _renew_login()
            flash(_("Two-factor login is on."), "success")
            return _show_recovery_codes(codes, next_url=safe_next_url(request.args.get("next"),
                                                                       url_for("accounts.two_factor")))
    elif form.is_submitted():
        status = 422
    response = current_app.make_response((render_template(
        "accounts/two_factor.html", form=form, secret=secret,
        uri=twofactor.provisioning_uri(current_user, secret)), status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _pending_secret() -> str:
    """The secret being set up, for this user only (a new one for anyone else logging in
    on the same browser). The session holds a random nonce; the secret is derived from it
    with the site's key (:func:`twofactor.setup_secret`)."""
    import secrets

    pending = session.get(PENDING_SECRET_KEY)
    if (not isinstance(pending, dict) or pending.get("user") != current_user.id
            or not isinstance(pending.get("nonce"), str)):
        pending = {"user": current_user.id, "nonce": secrets.token_hex(16)}
        session[PENDING_SECRET_KEY] = pending
    return twofactor.setup_secret(current_user.id, pending["nonce"])


def _show_recovery_codes(codes: list[str], next_url: str | None = None):
    response = current_app.make_response(render_template(
        "accounts/recovery_codes.html", codes=codes, next_url=next_url or url_for("accounts.two_factor")))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/min-side/tofaktor/qr.svg")
@login_required
def two_factor_qr():
    """The QR code of the secret being set up (an SVG image)."""
    if current_user.has_two_factor:
        abort(404)
    secret = _pending_secret()
    svg = twofactor.qr_code_svg(twofactor.provisioning_uri(current_user, secret), _("QR code for the authenticator app"))
    return current_app.response_class(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.post("/min-side/tofaktor/nye-koder")
@login_required
@limit("RATELIMIT_PASSWORD_CHECK")
def new_recovery_codes():
    """Make new recovery codes (the password confirms it); the old ones stop working."""
    form = PasswordConfirmForm()
    try:
        if not form.validate_on_submit():
            raise PermissionDenied(_("Enter your password."))
        codes = twofactor.new_recovery_codes(current_user, form.password.data)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("accounts.two_factor"), code=303)
    _renew_login()
    return _show_recovery_codes(codes)


@bp.post("/min-side/tofaktor/slaa-av")
@login_required
@limit("RATELIMIT_PASSWORD_CHECK")
def disable_two_factor():
    """Switch two-factor login off (the password confirms it)."""
    form = PasswordConfirmForm()
    try:
        if not form.validate_on_submit():
            raise PermissionDenied(_("Enter your password."))
        twofactor.disable(current_user, form.password.data)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        _renew_login()
        flash(_("Two-factor login is off."), "success")
    return redirect(url_for("accounts.two_factor"), code=303)
