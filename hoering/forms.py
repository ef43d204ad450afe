"""Shared form helpers: the base form class and input filters."""

from __future__ import annotations

import datetime as dt
import tempfile

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # the "read the request" marker of FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms.validators import ValidationError

from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.form_messages import WTFORMS_TRANSLATIONS
from hoering.sanitize import normalize_line, normalize_text

#: Largest id a route or form accepts: PostgreSQL's ``integer`` maximum (2**31 - 1).
MAX_ID = 2**31 - 1


def is_row_id(value) -> bool:
    """True if ``value`` (e.g. from a signed token's JSON) can be a row id: an ``int``
    (not a ``bool``) from 1 to :data:`MAX_ID`."""
    return type(value) is int and 0 < value <= MAX_ID


def strip_filter(value):
    """WTForms filter: normalize typed text (line endings, NUL, outer white space)."""
    return normalize_text(value) if isinstance(value, str) else value


def line_filter(value):
    """WTForms filter for single-line fields (names, titles, units): as :func:`strip_filter`,
    and invisible characters dropped and white space collapsed
    (:func:`hoering.sanitize.normalize_line`)."""
    return normalize_line(value) if isinstance(value, str) else value


def parse_id(value) -> int | None:
    """Parse an id from form input.

    Returns:
        ``None`` for an empty value; ``0`` (which matches no row) for anything that is not
        a whole number from 1 to :data:`MAX_ID`; else the number.
    """
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 1 <= number <= MAX_ID else 0


#: Highest page number a listing accepts; beyond it the last page is shown.
MAX_PAGE = 100_000


def page_number(value) -> int:
    """A 1-based page number from a query parameter; anything odd means page 1, huge
    numbers are capped at :data:`MAX_PAGE` (the listings clamp to their last page)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


#: Dates outside these years are typing mistakes (and would overflow time-zone arithmetic).
YEAR_RANGE = (1990, 2200)


def check_year(value) -> None:
    """A form field's check that a date or datetime lies in :data:`YEAR_RANGE`.

    Raises:
        wtforms.validators.ValidationError: outside it (``None`` passes).
    """
    if value is not None and not YEAR_RANGE[0] <= value.year <= YEAR_RANGE[1]:
        raise ValidationError(_l("Enter a date between the years %(first)d and %(last)d.",
                                 first=YEAR_RANGE[0], last=YEAR_RANGE[1]))


def date_arg(value) -> dt.date | None:
    """A ``YYYY-MM-DD`` date from a query parameter, or ``None`` when it is missing,
    malformed or outside :data:`YEAR_RANGE` (filters then simply do not apply)."""
    try:
        day = dt.date.fromisoformat(value or "")
    except (TypeError, ValueError):
        return None
    return day if YEAR_RANGE[0] <= day.year <= YEAR_RANGE[1] else None


def search_text(value, limit: int = 200) -> str | None:
    """A free-text filter from a query parameter: NUL dropped, trimmed, cut to ``limit``."""
    text = (value or "").replace("\x00", "").strip()[:limit]
    return text or None


class Form(FlaskForm):
    """Base of our HTML forms: reads only ``application/x-www-form-urlencoded`` or
    ``multipart/form-data`` fields, never JSON bodies or uploaded files, so every field
    holds a string (or nothing) whatever a client sends. WTForms' own messages are in
    the request's language (:mod:`hoering.form_messages`)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return WTFORMS_TRANSLATIONS

        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:  # given explicitly (tests, re-use)
                return formdata
            if request.method in ("POST", "PUT", "PATCH", "DELETE"):
                return request.form or ImmutableMultiDict()
            return None


#: Marks "the form was not (successfully) submitted" in :func:`submit`'s result.
NOT_DONE = object()


def submit(form: Form, save):
    """Validate a posted ``form`` and call ``save()``; the usual form-view flow.

    Args:
        form: the form, built from the request.
        save: a callable without arguments that calls the service and returns its result.

    Returns:
        ``(result, status)``: ``save()``'s result and 200 on success; :data:`NOT_DONE` and
        200 when nothing was posted; :data:`NOT_DONE` and 422 when validation failed; or
        :data:`NOT_DONE` and the error's status when the service refused (its message is
        added to ``form.form_errors`` and the session is rolled back).
    """
    if not form.is_submitted():
        return NOT_DONE, 200
    if not form.validate():
        return NOT_DONE, 422
    try:
        return save(), 200
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(str(error.message))
        return NOT_DONE, error.status


class CappedUpload:
    """An uploaded file's temporary store that keeps at most ``limit + 1`` bytes and drops
    the rest, noting that it did (``overflowed``): enough for the service to refuse the
    file as too large, without keeping what is beyond (werkzeug's ``stream_factory``)."""

    def __init__(self, limit: int):
        self.file = tempfile.SpooledTemporaryFile(max_size=512 * 1024, mode="w+b")
        self.room = limit + 1
        self.overflowed = False

    def write(self, data: bytes) -> int:
        kept = data[:self.room]
        self.room -= len(kept)
        self.overflowed = self.overflowed or len(kept) < len(data)
        self.file.write(kept)
        return len(data)

    def __getattr__(self, name):  # read, seek, tell, close … of the kept bytes
        return getattr(self.file, name)


def capped_file_stream(limit: int, total_content_length, content_type, filename=None, content_length=None):
    """werkzeug's stream factory for an upload form (``request._get_file_stream``, bound to
    ``limit`` with :func:`functools.partial`): a :class:`CappedUpload` of ``limit`` bytes, so
    a file over the limit is read to its end and refused with the form's other fields kept."""
    return CappedUpload(limit)
