"""Template filters and globals: dates in Oslo time, status labels, stored HTML."""

from __future__ import annotations

import datetime as dt

from flask import Flask, g, request, url_for
from flask_babel import format_decimal, format_time, format_timedelta, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

from hoering import permissions, stances
from hoering.accounts import oidc
from hoering.accounts.models import DELETED_USER_LABEL
from hoering.comments.forms import submission_token
from hoering.consultations import topics
from hoering.i18n import LANGUAGE_NAMES, current_language_code, human_date, human_datetime, ngettext, safe_next_url
from hoering.moderation import labels
from hoering.moderation.models import active_ban
from hoering.moderation.rules import house_rule_titles
from hoering.notices import services as notice_services
from hoering.sanitize import as_markup, headings_from, markdown_html
from hoering.timeutil import to_oslo

#: The word before an urgent notice's title, by its severity.
NOTICE_SEVERITY_LABELS = {
    "info": _l("Information"),
    "warning": _l("Warning"),
    "danger": _l("Danger"),
}

STATUS_LABELS = {
    "draft": _l("Draft"),
    "upcoming": _l("Upcoming"),
    "open": _l("Open for comments"),
    "closed": _l("Closed"),
    "summarized": _l("Summarized"),
}

LANGUAGE_LABELS = {
    "nb": _l("Norwegian (bokmål)"),
    "nn": _l("Norwegian (nynorsk)"),
    "en": _l("English"),
    "de": _l("German"),
    "zh-Hant": _l("Chinese (traditional)"),
}


def days_left_text(days: int) -> str:
    """Human text for the days until a deadline (0 = today is the last day)."""
    if days < 0:
        return ""
    if days == 0:
        return str(_l("Last day today"))
    return ngettext("%(num)s day left", "%(num)s days left", days)


def oslo_datetime(moment: dt.datetime | None, fmt: str = "medium") -> str:
    """Format an aware datetime in Oslo time in the visitor's language, to the minute and
    never in digits only (:func:`hoering.i18n.human_datetime`)."""
    return human_datetime(moment, fmt)


def oslo_time(moment: dt.datetime | None, fmt: str = "short") -> str:
    """Format the Oslo wall-clock time of an aware datetime ("23:59")."""
    if moment is None:
        return ""
    return format_time(moment, fmt)


def age(moment: dt.datetime | None) -> str:
    """How long ago ``moment`` was, in words ("3 days")."""
    if moment is None:
        return ""
    return format_timedelta(dt.datetime.now(dt.UTC) - moment, threshold=1.1)


#: Names of the steps in a consultation's life (hoering.consultations.lifecycle).
LIFECYCLE_LABELS = {
    "deadline_extended": _l("Deadline extended"), "closed_early": _l("Closed early"),
    "decision": _l("Decision recorded"), "archived": _l("Archived"), "unarchived": _l("Back on the front page"),
    "featured": _l("Featured on the front page"), "unfeatured": _l("No longer featured"),
}


def month_name(day: dt.date) -> str:
    """The month of ``day`` in the reader's language, capitalized ("Januar 2026")."""
    text = human_date(day, "LLLL y")
    return text[:1].upper() + text[1:]


def oslo_date(day: dt.date | dt.datetime | None, fmt: str = "long") -> str:
    """Format a date in the visitor's language ("15. mars 2027", "15 March 2027"; never
    digits only: :func:`hoering.i18n.human_date`)."""
    return human_date(day, fmt)


#: SI units of file sizes after the bytes (1 kB = 1,000 bytes, as Jinja's ``filesizeformat``).
FILE_SIZE_UNITS = (("kB", 10**3), ("MB", 10**6), ("GB", 10**9))


def file_size(size: int | None) -> str:
    """A size in bytes as readers of the current language write it: "992 byte", "1,2 kB",
    "25 MB" in Norwegian, "1.2 kB" in English (one decimal at most, the locale's decimal sign)."""
    size = int(size or 0)
    if size < 1000:
        return ngettext("%(count)s byte", "%(count)s bytes", size, count=format_decimal(size))
    unit, factor = next(((unit, factor) for unit, factor in FILE_SIZE_UNITS if size < factor * 1000),
                        FILE_SIZE_UNITS[-1])
    return f"{format_decimal(round(size / factor, 1), format='#,##0.#')}\u00a0{unit}"


def markdown_text(text: str | None, top: int = 3) -> Markup:
    """Staff-written Markdown stored only as typed (a decision text), rendered and
    sanitized by :func:`hoering.sanitize.markdown_html` as it is shown, its headings
    starting at ``<h{top}>`` (2–6) under the page's own."""
    return headings_from(as_markup(markdown_html(text or "")), top)


@pass_context
def counted_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
    """The templates' ``ngettext``: as Jinja's own (new style: the translation is markup,
    the values are escaped), but ``%(num)s`` is the count as the reader's language writes
    numbers ("2 031" in Norwegian, "2,031" in English); the plural form is chosen by the
    number itself."""
    variables.setdefault("num", format_decimal(num))
    text = get_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def register(app: Flask) -> None:
    """Install filters and globals on ``app``."""
    app.jinja_env.globals["ngettext"] = counted_ngettext
    app.jinja_env.filters["oslo_datetime"] = oslo_datetime
    app.jinja_env.filters["oslo_date"] = oslo_date
    # A count in the reader's language: "109 658" in Norwegian, "109,658" in English.
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.filters["month_name"] = month_name
    app.jinja_env.filters["iso_to_date"] = lambda text: dt.date.fromisoformat(text) if text else None
    app.jinja_env.filters["oslo_iso_date"] = lambda moment: to_oslo(moment).date().isoformat() if moment else ""
    app.jinja_env.filters["oslo_time"] = oslo_time
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["upper_first"] = lambda text: (str(text)[:1].upper() + str(text)[1:]) if text else ""
    app.jinja_env.filters["safe_html"] = as_markup
    app.jinja_env.filters["headings_from"] = headings_from
    app.jinja_env.filters["markdown"] = markdown_text
    app.jinja_env.globals.update(
        # A house rule's title; the fixed codes (a ban, automatic rules) by their label.
        house_rule_title=lambda code: house_rule_titles(current_language_code()).get(code)
        or labels.AUTOMATIC_RULE_LABELS.get(code, code),
        active_ban=active_ban,
        REPORT_REASON_LABELS=labels.REPORT_REASON_LABELS,
        ACTION_LABELS=labels.ACTION_LABELS,
        SETTING_LABELS=labels.SETTING_LABELS,
        SETTING_VALUE_LABELS=labels.SETTING_VALUE_LABELS,
        MODERATION_STATE_LABELS=labels.STATE_LABELS,
        LIFECYCLE_LABELS=LIFECYCLE_LABELS,
        AUTOMATIC_RULE_LABELS=labels.AUTOMATIC_RULE_LABELS,
        ROLE_LABELS=labels.ROLE_LABELS,
        permissions=permissions,
        topic_label=topics.topic_label,
        shown_notices=notice_services.shown_notices,
        NOTICE_SEVERITY_LABELS=NOTICE_SEVERITY_LABELS,
        area_label=topics.area_label,
        days_left_text=days_left_text,
        STATUS_LABELS=STATUS_LABELS,
        LANGUAGE_LABELS=LANGUAGE_LABELS,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        DELETED_USER_LABEL=DELETED_USER_LABEL,
        submission_token=submission_token,
        # A comment's (or theme's) agree and disagree counts and whether they split.
        tally_of=stances.tally_of,
        tally=stances.tally,
        stance_counts_text=stances.stance_counts_text,
        # "Logg inn med ID-porten", "Logg inn for ansatte": the configured providers.
        external_login_buttons=oidc.login_buttons,
    )

    @app.context_processor
    def inject_locale():
        return {
            "current_language": current_language_code(),
            "current_path": page_path(),
            "account_next": account_next_path(),
        }


#: Pages that already lead somewhere after logging in (their ``next``).
ACCOUNT_PAGES = ("accounts.login", "accounts.register")


def account_next_path() -> str:
    """Where the header's "Log in" and "Register" links lead back to: the page shown, or,
    on the login and registration pages themselves, the page those were going to lead to
    (so that registering from the login page still ends on, say, the report form)."""
    if request.endpoint in ACCOUNT_PAGES:
        return safe_next_url(request.args.get("next"), url_for("consultations.index"))
    return page_path()


def page_path() -> str:
    """The address of the page being shown, for "come back here" links (log in, language).

    A page re-rendered after a failed POST names its GET address in ``g.page_path``; the
    POST address itself may not answer a GET.
    """
    if "page_path" in g:
        return g.page_path
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return "/"
