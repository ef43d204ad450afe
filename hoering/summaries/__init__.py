"""From citizens to politicians: themes, the summary ("Dette har vi hørt"), statistics,
theme suggestions and near-duplicate groups."""

from flask import Blueprint

bp = Blueprint("summaries", __name__)
