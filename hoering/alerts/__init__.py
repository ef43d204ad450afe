"""E-mail alerts of new consultations for anyone, without an account: subscribing with
double opt-in, the choice of topics and areas, one mail per matching consultation when it
is published, and one-click unsubscribing (docs/NOTIFICATIONS.md, "Alerts of new
consultations")."""

from flask import Blueprint

bp = Blueprint("alerts", __name__)
