"""Translatable names of moderation codes (actions, report reasons, states, rules)."""

from flask_babel import lazy_gettext as _l

REPORT_REASON_LABELS = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Offensive or hateful"),
    "personal_information": _l("Personal information"),
    "off_topic": _l("Off topic"),
    "other": _l("Something else"),
}

ACTION_LABELS = {
    "approve": _l("Approved"),
    "reject": _l("Rejected"),
    "hide": _l("Hidden"),
    "restore": _l("Restored"),
    "dismiss_reports": _l("Reports dismissed"),
    "lock": _l("Thread locked"),
    "unlock": _l("Thread unlocked"),
    "auto_hold": _l("Held automatically"),
    "auto_hide": _l("Hidden automatically"),
    "author_remove": _l("Removed by the author"),
    "import": _l("Imported decision"),
    "ban": _l("User banned"),
    "unban": _l("Ban lifted"),
    "role_change": _l("Role changed"),
    "two_factor_reset": _l("Two-factor login reset"),
    "setting_change": _l("Setting changed"),
    "invitation_sent": _l("Staff invited"),
    "invitation_revoked": _l("Invitation revoked"),
    "invitation_accepted": _l("Invitation accepted"),
}

#: Site settings an administrator changes (logged as ``setting_change``, the key in the note).
SETTING_LABELS = {
    "require_two_factor_for_staff": _l("Two-factor login required for staff"),
}

#: Values of on/off settings as the log stores them.
SETTING_VALUE_LABELS = {"1": _l("On"), "0": _l("Off")}

STATE_LABELS = {
    "pending": _l("Awaiting approval"),
    "published": _l("Published"),
    "hidden": _l("Hidden"),
    "rejected": _l("Rejected"),
    "removed": _l("Removed"),
}

AUTOMATIC_RULE_LABELS = {
    "word_list": _l("word list"),
    "too_many_links": _l("too many links"),
    "first_comment": _l("first comment"),
    "report_threshold": _l("many reports"),
    "polis": _l("Polis moderation"),
    "pending_review": _l("awaiting review"),
    "pre_moderation": _l("edited under pre-moderation"),
    "ban": _l("its author was banned"),
    "staff_login": _l("the staff login (the municipality's user directory)"),
}

ROLE_LABELS = {
    "citizen": _l("Citizen"),
    "moderator": _l("Moderator"),
    "case_officer": _l("Case officer"),
    "admin": _l("Administrator"),
}
