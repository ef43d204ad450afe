"""E-mail notifications: following a consultation, the outbox written in the same
transaction as the event, delivery by ``flask --app wsgi hoering send-mail``, and
one-click unsubscribe."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
