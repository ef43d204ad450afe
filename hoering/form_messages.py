"""WTForms' built-in messages ("This field is required.", the length and number limits) in
the reader's language: bokmål, nynorsk or English.

WTForms ships a bokmål catalog but none for nynorsk, so a nynorsk reader got English. The
messages our fields can show are therefore carried in our own catalogs (marked here for
``make extract-messages``), where they are translated like the rest of the interface; any
other WTForms message falls back to WTForms' catalog for the language, nynorsk to bokmål.
"""

from __future__ import annotations

import functools

from babel import support
from flask_babel import get_locale, get_translations
from wtforms.i18n import messages_path


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark only")
    """Mark ``message`` for extraction without translating it; returns it unchanged."""
    return message


def ngettext(singular: str, plural: str, n: int = 2) -> tuple[str, str]:
    """Mark a plural message for extraction (``ngettext`` is what pybabel looks for);
    returns its two English forms unchanged. ``n`` is ignored."""
    return singular, plural


#: The WTForms messages of the validators and fields we use (wtforms/locale/wtforms.pot).
OWN_MESSAGES = frozenset([
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Not a valid choice."),
    N_("Not a valid integer value."),
    N_("Not a valid date value."),
    N_("Not a valid datetime value."),
])
OWN_PLURALS = frozenset(form[0] for form in (
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long."),
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
    ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long."),
))

#: WTForms' catalog to fall back on for an interface language it has no catalog for.
FALLBACK = {"nn": ["nn", "nb"]}


@functools.lru_cache(maxsize=16)
def _wtforms_catalog(locale: str) -> support.Translations:
    """WTForms' own catalog for ``locale`` (a Babel locale identifier such as "nb" or
    "en_GB"), read once per process and language."""
    language = locale.split("_")[0]
    return support.Translations.load(messages_path(), FALLBACK.get(language, [locale]), domain="wtforms")


class WTFormsTranslations:
    """WTForms' ``translations`` object (``Meta.get_translations``): its messages in the
    language of the request (Flask-Babel's :func:`flask_babel.get_locale`, chosen by
    :func:`hoering.i18n.select_locale`). Our catalogs first, then WTForms' own."""

    def gettext(self, string: str) -> str:
        """``string`` (a WTForms msgid) in the request's language."""
        if string in OWN_MESSAGES:
            return get_translations().ugettext(string)
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of a WTForms plural message for the count ``n``, in the request's language."""
        if singular in OWN_PLURALS:
            return get_translations().ungettext(singular, plural, n)
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = WTFormsTranslations()
