"""The staff dashboard: per consultation at work, what waits for whom."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
