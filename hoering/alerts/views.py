"""The pages of e-mail alerts: subscribe, confirm, change the choices, unsubscribe."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from hoering.alerts import bp, services
from hoering.alerts.forms import ChangeForm, SubscribeForm
from hoering.exceptions import ServiceError
from hoering.extensions import csrf, db
from hoering.i18n import current_language_code
from hoering.ratelimit import account_key, form_page_on_rate_limit, limit, limit_by


@bp.route("/varsel", methods=["GET", "POST"])
@limit("RATELIMIT_ALERTS", per_address=True)
@limit_by("RATELIMIT_ALERTS_ADDRESS", lambda: account_key(request.form.get("email") or ""))
def subscribe():
    """Ask for e-mail alerts of new consultations; the answer does not tell whether the
    address already subscribes."""
    form = SubscribeForm()
    if not form.is_submitted() and current_user.is_authenticated and current_user.email:
        form.email.data = current_user.email
    status = 200
    if form.validate_on_submit():
        try:
            services.subscribe(form.email.data, *form.chosen(), current_language_code())
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
            status = error.status
        else:
            return render_template("alerts/sent.html", email=form.email.data)
    elif form.is_submitted():
        status = 422
    return render_template("alerts/subscribe.html", form=form), status


form_page_on_rate_limit("alerts.subscribe", SubscribeForm, "alerts/subscribe.html")


@bp.route("/varsel/bekreft/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm from the mail's link: a page with a button (a link checker that opens the
    link confirms nothing), the POST confirms."""
    subscription = services.subscription_to_confirm(token)
    if subscription is None:
        return render_template("alerts/expired.html"), 404
    if request.method == "POST":
        services.confirm(subscription)
        topics, areas = services.choice_labels(subscription)
        return render_template("alerts/confirmed.html", subscription=subscription, topics=topics, areas=areas,
                               token=services.link_token(subscription))
    return render_template("alerts/confirm.html", token=token)


@bp.route("/varsel/endre/<token>", methods=["GET", "POST"])
def change(token: str):
    """Change the topics and areas from a mail's link."""
    subscription = services.subscription_of_link(token)
    if subscription is None or subscription.confirmed_at is None:
        abort(404)
    if request.method == "POST":
        form = ChangeForm()
    else:
        form = ChangeForm(formdata=None, data={
            "scope": "some" if subscription.topic_keys or subscription.area_keys else "all",
            "topics": subscription.topic_keys, "areas": subscription.area_keys})
    status, saved = 200, False
    if form.validate_on_submit():
        try:
            services.change_choices(subscription, *form.chosen())
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
            status = error.status
        else:
            saved = True
    elif form.is_submitted():
        status = 422
    return render_template("alerts/change.html", form=form, token=token, saved=saved,
                           email=subscription.email), status


@bp.route("/varsel/avmeld/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail programs post here without a session (RFC 8058)
def unsubscribe(token: str):
    """Stop the alerts: a page with a button, or one click (POST, RFC 8058). Posting a
    link whose subscription is already gone answers as if it had just been deleted."""
    subscription = services.subscription_of_link(token)
    if request.method == "POST":
        if subscription is not None:
            services.unsubscribe(subscription)
        elif not services.link_token_is_signed(token):
            abort(404)
        return render_template("alerts/unsubscribed.html")
    if subscription is None:
        abort(404)
    return render_template("alerts/unsubscribe.html", token=token, email=subscription.email)
