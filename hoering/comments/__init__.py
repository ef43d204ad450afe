"""Threaded comments, replies and supports."""

from flask import Blueprint

bp = Blueprint("comments", __name__)

from hoering.comments import views  # noqa: E402,F401
