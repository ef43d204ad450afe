"""The statements every Norwegian public website publishes: the accessibility statement
(tilgjengelighetserklæring) and, with the account pages, the privacy page."""

from flask import Blueprint

bp = Blueprint("statements", __name__)
