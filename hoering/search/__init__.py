"""Full-text search: the Whoosh index and its task queue or the PostgreSQL search
documents (``SEARCH_BACKEND``), the search page and API."""

from flask import Blueprint

bp = Blueprint("search", __name__)
