"""Moderation: house rules, reports, the moderation queue, actions, bans and the audit log.

- :mod:`~hoering.moderation.models`: the tables, and the queries of a user's bans;
- :mod:`~hoering.moderation.audit`: writing and reading the audit log;
- :mod:`~hoering.moderation.rules`: the house rules;
- :mod:`~hoering.moderation.holds`: the automatic holds of new comments;
- :mod:`~hoering.moderation.recusal`: who may not decide on a comment;
- :mod:`~hoering.moderation.reports`: citizens' reports;
- :mod:`~hoering.moderation.decisions`: moderators' actions on comments;
- :mod:`~hoering.moderation.queue`: the moderation queue and the overview;
- :mod:`~hoering.moderation.bans`: banning users and lifting bans;
- :mod:`~hoering.moderation.views`, ``forms``, ``labels``: the pages.
"""

from flask import Blueprint

bp = Blueprint("moderation", __name__)
