"""Consultations (høringer): the public list and pages, and the case officers' forms."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)

from hoering.consultations import views  # noqa: E402,F401
