"""Consultations (høringer): the public list and pages, and the case officers' forms."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)
