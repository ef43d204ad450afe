"""Exports for case officers and moderators: comments as CSV, XLSX and JSON, the summary
report as DOCX, PDF and a printable page, and the consultation's staff page."""

from flask import Blueprint

bp = Blueprint("exports", __name__)
