"""E-mail alerts of new consultations: subscribing with double opt-in, changing the
choices, unsubscribing, and the mail to each matching subscriber when a consultation is
published.

Rules:

* Nothing is sent to an address before its owner confirms it from the confirmation mail
  (double opt-in, the practice Datatilsynet and the ePrivacy rules expect for
  newsletters); an unconfirmed request is deleted once its link has expired
  (``ALERT_CONFIRM_HOURS``).
* The answer to the form is the same whether or not the address already subscribes: an
  address that does gets a mail with the link to change its choices instead.
* A consultation matches a subscriber when its topic is one of the chosen topics (none
  chosen: any) and its area is one of the chosen areas (none chosen: any; a consultation
  for the whole municipality, or without an area, matches every area).
* Only the address, the choices, the language of the mails and the times needed for the
  rules above are stored; unsubscribing deletes the row (docs/CONFIGURATION.md).
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from hoering.accounts.services import normalize_email
from hoering.alerts.models import AlertSubscription
from hoering.consultations import topics
from hoering.consultations.models import Consultation
from hoering.exceptions import ValidationFailed
from hoering.extensions import db
from hoering.forms import is_row_id
from hoering.i18n import human_date, in_language
from hoering.notifications.models import OutboxMail
from hoering.notifications.outbox import add_to_outbox_for_address
from hoering.timeutil import utcnow
from hoering.urls import site_url_for

#: The area key that stands for the whole municipality: such a consultation matches every area.
WHOLE_MUNICIPALITY = "hele-kommunen"


# --- tokens -------------------------------------------------------------------------------------

def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hoering-alert-confirm")


def _link_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hoering-alert-link")


def confirm_token(subscription: AlertSubscription) -> str:
    """The signed, expiring token of the confirmation link."""
    return _confirm_serializer().dumps([subscription.id, subscription.key])


def link_token(subscription: AlertSubscription) -> str:
    """The signed token of the links to change the choices and to unsubscribe."""
    return _link_serializer().dumps([subscription.id, subscription.key])


def _load(serializer, token: str, **kwargs) -> AlertSubscription | None:
    try:
        subscription_id, key = serializer.loads((token or "")[:500], **kwargs)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if not is_row_id(subscription_id) or not isinstance(key, str):
        return None
    subscription = db.session.get(AlertSubscription, subscription_id)
    if subscription is None or not secrets.compare_digest(subscription.key, key):
        return None
    return subscription


def subscription_to_confirm(token: str) -> AlertSubscription | None:
    """The subscription a confirmation token names, or ``None`` (forged, expired, or the
    subscription is gone)."""
    subscription = _load(_confirm_serializer(), token, max_age=_confirm_seconds())
    if subscription is not None and subscription.confirmed_at is None \
            and subscription.created_at < utcnow() - dt.timedelta(seconds=_confirm_seconds()):
        return None  # the request has expired even if this link is newer (it is deleted soon)
    return subscription


def subscription_of_link(token: str) -> AlertSubscription | None:
    """The subscription a change or unsubscribe token names, or ``None``."""
    return _load(_link_serializer(), token)


def link_token_is_signed(token: str) -> bool:
    """Whether ``token`` is a change or unsubscribe token this site made (whether or not
    its subscription still exists)."""
    try:
        _link_serializer().loads((token or "")[:500])
    except (BadSignature, ValueError, TypeError):
        return False
    return True


def _confirm_seconds() -> int:
    return int(current_app.config["ALERT_CONFIRM_HOURS"] * 3600)


# --- choices --------------------------------------------------------------------------------------

def _clean_choices(setting: str, keys: list[str] | None) -> str:
    """The chosen keys as stored, in the configured order.

    Raises:
        ValidationFailed: a key that is not configured.
    """
    chosen = set(keys or ())
    configured = current_app.config[setting]
    if chosen - set(configured):
        raise ValidationFailed(_l("Choose topics and areas from the lists."))
    return ",".join(key for key in configured if key in chosen)


def purge_unconfirmed(now: dt.datetime | None = None) -> int:
    """Delete the requests not confirmed within ``ALERT_CONFIRM_HOURS`` (no commit);
    returns how many."""
    cutoff = (now or utcnow()) - dt.timedelta(seconds=_confirm_seconds())
    return db.session.execute(sa.delete(AlertSubscription).where(
        AlertSubscription.confirmed_at.is_(None), AlertSubscription.created_at < cutoff)).rowcount


def delete_expired_requests() -> int:
    """Delete the expired unconfirmed requests and commit (``flask hoering send-mail``);
    returns how many."""
    deleted = purge_unconfirmed()
    db.session.commit()
    return deleted


def subscribe(email: str, topic_keys: list[str], area_keys: list[str], language: str) -> None:
    """Ask for alerts to ``email``: write the request and mail the confirmation link; or,
    when the address already subscribes, mail the link to change the choices (the answer
    is the same, so the form tells nobody who subscribes). Commits.

    Args:
        email: the address as typed (validated by the form).
        topic_keys, area_keys: keys of ``CONSULTATION_TOPICS`` and ``CONSULTATION_AREAS``;
            empty for "any".
        language: "nb", "nn" or "en": the language of the mails.

    Raises:
        ValidationFailed: an unknown topic or area.
    """
    address = normalize_email(email)
    chosen_topics = _clean_choices(topics.TOPICS, topic_keys)
    chosen_areas = _clean_choices(topics.AREAS, area_keys)
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    purge_unconfirmed()
    subscription = db.session.scalar(sa.select(AlertSubscription).where(AlertSubscription.email == address))
    if subscription is not None and subscription.confirmed_at is not None:
        _mail_already_subscribed(subscription)
        db.session.commit()
        return
    if subscription is None:
        subscription = AlertSubscription(email=address, key=secrets.token_urlsafe(24))
        db.session.add(subscription)
    # a request asked again starts afresh: new choices, new time, new link
    subscription.topics, subscription.areas, subscription.language = chosen_topics, chosen_areas, language
    subscription.created_at = utcnow()
    db.session.flush()
    _mail_confirmation(subscription)
    db.session.commit()


def confirm(subscription: AlertSubscription) -> None:
    """Confirm the subscription (idempotent; commits)."""
    if subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
    db.session.commit()


def change_choices(subscription: AlertSubscription, topic_keys: list[str], area_keys: list[str]) -> None:
    """Change a confirmed subscription's topics and areas (commits).

    Raises:
        ValidationFailed: an unknown topic or area.
    """
    subscription.topics = _clean_choices(topics.TOPICS, topic_keys)
    subscription.areas = _clean_choices(topics.AREAS, area_keys)
    db.session.commit()


def unsubscribe(subscription: AlertSubscription) -> None:
    """Delete the subscription and with it the address (commits)."""
    db.session.delete(subscription)
    db.session.commit()


def choice_labels(subscription: AlertSubscription) -> tuple[list[str], list[str]]:
    """The labels of the chosen topics and areas, in the current language."""
    return ([topics.topic_label(key) for key in subscription.topic_keys],
            [topics.area_label(key) for key in subscription.area_keys])


# --- mails ----------------------------------------------------------------------------------------

def _links(subscription: AlertSubscription) -> tuple[str, str]:
    token = link_token(subscription)
    return (site_url_for("alerts.change", token=token), site_url_for("alerts.unsubscribe", token=token))


def _mail_confirmation(subscription: AlertSubscription) -> None:
    link = site_url_for("alerts.confirm", token=confirm_token(subscription))
    owner = current_app.config["SITE_OWNER"]
    with in_language(subscription.language):
        lines = [_("Someone, probably you, asked to be e-mailed when %(owner)s publishes new consultations.",
                   owner=owner),
                 _("Confirm with this link within %(hours)d hours:", hours=current_app.config["ALERT_CONFIRM_HOURS"]),
                 link,
                 _("If it was not you, do nothing: without confirmation we send nothing more, and the address is "
                   "deleted when the link expires.")]
        add_to_outbox_for_address(subscription.email, "alert_confirm",
                                  _("Confirm e-mail alerts from %(owner)s", owner=owner), "\n\n".join(lines) + "\n",
                                  send_after_response=True)


def _mail_already_subscribed(subscription: AlertSubscription) -> None:
    change, stop = _links(subscription)
    owner = current_app.config["SITE_OWNER"]
    with in_language(subscription.language):
        lines = [_("Someone, probably you, asked for e-mail alerts of new consultations from %(owner)s. "
                   "This address already gets them.", owner=owner),
                 _("Change what you get: %(link)s", link=change), "--", _("Stop these mails: %(link)s", link=stop)]
        add_to_outbox_for_address(subscription.email, "alert_confirm", _("Your e-mail alerts from %(owner)s", owner=owner),
                                  "\n\n".join(lines) + "\n", unsubscribe_url=stop, send_after_response=True)


def matches(subscription: AlertSubscription, consultation: Consultation) -> bool:
    """Whether ``consultation`` is one ``subscription`` asked to hear of (module rules)."""
    topic_keys, area_keys = subscription.topic_keys, subscription.area_keys
    if topic_keys and consultation.topic not in topic_keys:
        return False
    return not area_keys or consultation.area in ("", WHOLE_MUNICIPALITY) or consultation.area in area_keys


def tell_subscribers(consultation: Consultation) -> int:
    """Queue one mail to each confirmed subscriber the newly published ``consultation``
    matches, each with its one-click unsubscribe link; never twice for the same
    consultation and subscriber (published, taken back and published again). No commit
    (called by a subscriber of ``ConsultationPublished``). Returns how many were queued."""
    page = site_url_for("consultations.detail", slug=consultation.slug)
    owner = current_app.config["SITE_OWNER"]
    queued = 0
    subscribers = db.session.scalars(sa.select(AlertSubscription).where(AlertSubscription.confirmed_at.is_not(None))
                                     .order_by(AlertSubscription.id))
    for subscription in subscribers:
        if not matches(subscription, consultation):
            continue
        key = f"alert:{consultation.id}:{subscription.id}"
        if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == key)):
            continue
        change, stop = _links(subscription)
        with in_language(subscription.language):
            lines = [_("%(owner)s has published a new consultation:", owner=owner), consultation.title,
                     consultation.summary]
            details = [text for text in (topics.topic_label(consultation.topic), topics.area_label(consultation.area))
                       if text]
            if details:
                lines.append(" · ".join(details))
            if consultation.status().value == "upcoming":
                lines.append(_("It opens for comments on %(date)s.", date=human_date(consultation.opens_at)))
            lines.append(_("Deadline: %(date)s at 23:59.", date=human_date(consultation.deadline)))
            lines += [_("Read it and have your say: %(link)s", link=page), "--",
                      _("Change what you get: %(link)s", link=change), _("Stop these mails: %(link)s", link=stop)]
            add_to_outbox_for_address(subscription.email, "alert", _("New consultation: %(title)s",
                                                                      title=consultation.title),
                                      "\n\n".join(lines) + "\n", unsubscribe_url=stop, dedupe_key=key)
        queued += 1
    return queued
