"""Political bodies and their meetings: the bodies (kommunestyre, formannskap, committees)
with their members, meetings with agenda items and documents, minutes once approved, and
citizens following a body (docs/CASE_OFFICERS.md, "Political bodies and meetings")."""

from flask import Blueprint

bp = Blueprint("meetings", __name__)
