"""Account pages: register, log in, log out, profile."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from hoering import permissions
from hoering.accounts import bp, services
from hoering.accounts.forms import LoginForm, PasswordChangeForm, ProfileForm, RegistrationForm
from hoering.comments.services import comments_by_author
from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.i18n import safe_next_url
from hoering.moderation.services import active_ban
from hoering.ratelimit import limit, limit_per_account, on_rate_limit


@bp.route("/registrer", methods=["GET", "POST"])
@limit("RATELIMIT_REGISTRATION")
def register():
    """Create a citizen account and log it in."""
    if current_user.is_authenticated:
        return redirect(url_for("consultations.index"))
    form = RegistrationForm()
    next_url = safe_next_url(request.args.get("next"), url_for("consultations.index"))
    status = 200
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.display_name.data, form.password.data)
        except ServiceError as error:
            field = form.email if error.status == 409 else form.display_name
            field.errors = [*field.errors, str(error.message)]
            status = error.status
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Your account has been created.", name=user.display_name), "success")
            return redirect(next_url, code=303)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/register.html", form=form), status


@bp.route("/logg-inn", methods=["GET", "POST"])
@limit("RATELIMIT_LOGIN")
@limit_per_account("RATELIMIT_LOGIN_ACCOUNT")
def login():
    """Log in with e-mail and password, optionally remembered on this device."""
    form = LoginForm()
    next_url = safe_next_url(request.args.get("next"), url_for("consultations.index"))
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(next_url, code=303)
        form.password.errors = [*form.password.errors, _("Wrong e-mail address or password.")]
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


@on_rate_limit("accounts.register")
def _register_rate_limited(message: str):
    form = RegistrationForm()
    form.form_errors.append(message)
    return render_template("accounts/register.html", form=form)


@on_rate_limit("accounts.login")
def _login_rate_limited(message: str):
    form = LoginForm()
    form.form_errors.append(message)
    return render_template("accounts/login.html", form=form)


@bp.post("/logg-ut")
def logout():
    """Log out; a POST with a CSRF token (the global CSRF check covers it)."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("consultations.index"), code=303)


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
                           ban=active_ban(current_user)), status



@bp.route("/min-side/passord", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's password; other sessions end, this one goes on."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
            status = error.status
        else:
            login_user(current_user._get_current_object(), remember=False)  # this session, with the new version
            flash(_("Your password has been changed. You are logged out everywhere else."), "success")
            return redirect(url_for("accounts.profile"), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/password.html", form=form), status


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
def delete_account():
    """Delete one's account (the password confirms it)."""
    status = 200
    if request.method == "POST":
        try:
            services.delete_account(current_user, request.form.get("password", ""))
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            status = error.status
        else:
            logout_user()
            flash(_("Your account has been deleted."), "success")
            return redirect(url_for("consultations.index"), code=303)
    return render_template("accounts/delete.html"), status
