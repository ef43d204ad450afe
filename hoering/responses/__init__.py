"""Formal responses (høringssvar): submitted on the web or registered by staff from letters
and e-mails, screened before publication, listed on the consultation's public page."""

from flask import Blueprint

bp = Blueprint("responses", __name__)
