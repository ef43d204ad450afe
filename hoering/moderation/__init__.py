"""Moderation: house rules, reports, the moderation queue, actions, bans and the audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)
