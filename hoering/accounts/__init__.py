"""Accounts: registration, login, roles and profile."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from hoering.accounts import views  # noqa: E402,F401
