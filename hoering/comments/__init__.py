"""Threaded comments, replies and supports."""

from flask import Blueprint

bp = Blueprint("comments", __name__)
