"""Language selection: Norwegian bokmål by default, or the language the visitor chose
(the switch and its memory are in :mod:`hoering.accounts.language`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

#: Cookie that remembers the chosen language, for one year.
LANGUAGE_COOKIE = "hoering_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

#: A local path: one leading slash, then no second slash, backslash, space or control character.
_SAFE_PATH = re.compile(r"^/(?![/\\])[^\s\\\x00-\x1f\x7f]*$")

LOGIN_REQUIRED_MESSAGE = _l("Log in to continue.")

#: Each language named in itself, as the switch shows it.
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}

#: The Babel locale that writes dates, times and numbers for an interface language when it
#: is not the language itself: English readers of a Norwegian public body get British forms
#: ("15 March 2027, 23:59"), day before month and the 24-hour clock, like the Norwegian text.
FORMAT_LOCALES = {"en": "en_GB"}


def babel_locale(language: str) -> str:
    """The Babel locale identifier for an interface language code ("en" → "en_GB")."""
    return FORMAT_LOCALES.get(language, language)


def in_language(language: str):
    """Context manager: messages, dates and numbers in ``language`` (an interface language
    code such as "nb" or "en"), e.g. for mails and exports made outside the reader's request."""
    from flask_babel import force_locale

    return force_locale(babel_locale(language))


def current_language_code() -> str:
    """The interface language of this request or command ("nb", "nn", "en"), without the
    region that :data:`FORMAT_LOCALES` adds for formatting."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    """Flask-Babel locale selector: the remembered choice, else ``BABEL_DEFAULT_LOCALE``.

    The browser's Accept-Language is deliberately not used: a Norwegian public body's
    site speaks Norwegian until the visitor asks otherwise. Outside a request (the CLI)
    messages are in ``CLI_LOCALE``, English by default, like the commands' own output.
    """
    if not has_request_context():
        return babel_locale(current_app.config["CLI_LOCALE"])
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return babel_locale(chosen)
    return babel_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def safe_next_url(target: str | None, fallback: str) -> str:
    """Return ``target`` if it is a path on this site, else ``fallback`` (no open redirect)."""
    if not target or not _SAFE_PATH.match(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


#: Babel's date styles as people read them: the numeric "short" style (04.12.2026,
#: 04/12/2026) is read as "medium" (4. des. 2026, 4 Dec 2026), since day and month in
#: digits are ambiguous across languages (issue "Polish", item 5). Other patterns ("LLLL y")
#: pass through.
_READABLE_DATE_STYLES = {"short": "medium", "medium": "medium", "long": "long", "full": "full"}


def human_date(day, style: str = "long") -> str:
    """A date as the reader's language writes it in running text: "4. desember 2026"
    (nb, nn), "4 December 2026" (English, British order); ``style`` "medium" or "short"
    abbreviates the month ("4. des. 2026"), never digits only. An aware datetime is shown
    as its Oslo day (Flask-Babel's time zone). ``None`` gives ``""``.

    Args:
        day: a ``date`` or an aware ``datetime``.
        style: "long", "medium", "short", "full" or a Babel pattern ("LLLL y").
    """
    from flask_babel import format_date

    if day is None:
        return ""
    return format_date(day, _READABLE_DATE_STYLES.get(style, style))


def human_datetime(moment, style: str = "medium") -> str:
    """An aware datetime in Oslo time as the reader's language writes it, to the minute:
    "4. des. 2026, 11:26" (``style`` "short" or "medium"), "4. desember 2026, 11:26"
    ("long"), "4 Dec 2026, 11:26" in English; the locale's own joiner. ``None`` gives ``""``."""
    from flask_babel import format_date, format_time, get_locale

    if moment is None:
        return ""
    date = format_date(moment, "long" if style in ("long", "full") else "medium")
    joiner = get_locale().datetime_formats.get("medium", "{1} {0}")
    return str(joiner).format(format_time(moment, "short"), date)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ``ngettext`` with ``%(num)s`` written as the reader's language writes
    numbers ("2 031" in Norwegian, "2,031" in English); the plural form is chosen by ``num``
    itself. For messages built in Python (flash messages, mails, reports); the templates'
    ``ngettext`` does the same (:func:`hoering.templating.counted_ngettext`).

    :param singular: the English singular msgid, with ``%(num)s`` for the count.
    :param plural: the English plural msgid.
    :param num: the count (an integer).
    :param variables: the other placeholders.
    """
    from flask_babel import format_decimal, get_translations

    variables.setdefault("num", format_decimal(num))
    return get_translations().ungettext(singular, plural, num) % variables
