"""Administration: users and roles, house rules."""

from flask import Blueprint

bp = Blueprint("admin", __name__)
