"""Full-text search (Whoosh): the index, its task queue, the search page and API."""

from flask import Blueprint

bp = Blueprint("search", __name__)
