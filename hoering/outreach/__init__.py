"""Reaching citizens where they are: Atom feeds, the iCalendar feed, the year plan
("årshjul") and sharing (Open Graph tags and share links without third-party scripts)."""

from flask import Blueprint

bp = Blueprint("outreach", __name__)
