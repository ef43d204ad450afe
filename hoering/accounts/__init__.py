"""Accounts: registration, login, roles and profile."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
