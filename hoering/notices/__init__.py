"""Urgent notices (crisis readiness): staff publish a short notice shown in a banner on
every page between its start and end times (docs/CASE_OFFICERS.md, "Urgent notice")."""

from flask import Blueprint

bp = Blueprint("notices", __name__)
