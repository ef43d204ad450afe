"""Reading the request of a staff upload form (a title and one file field ``file``), for
consultation documents and meeting documents alike.

A file over the limit is read to its end, all but its first bytes dropped as they arrive
(:func:`hoering.forms.capped_file_stream`), so that the answer is the form again with the
title typed and why: a browser shows an answer sent before it has sent its whole request as
a broken connection, not as the page. Only a request over ``DOCUMENT_UPLOAD_READ_FACTOR``
times the limit is not read at all; then the title is lost too.
"""

from __future__ import annotations

import functools

from flask import current_app, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from hoering.forms import capped_file_stream

#: Room for the form's other fields beside the file, in bytes.
FORM_FIELDS_BYTES = 64 * 1024


class RefusedUpload(Exception):
    """An upload form that cannot be used.

    Attributes:
        message: why, in the user's language, for the form's file field.
        status: the HTTP status to answer with (400, or 413 for a file over the limit).
        title: the title that was typed, cut to 200 characters for the form that comes back
            (``""`` when the request was too large to read).
    """

    def __init__(self, message: str, status: int, title: str):
        super().__init__(message)
        self.message, self.status, self.title = message, status, title[:200]


def read_document_upload(limit: int) -> tuple[FileStorage, str]:
    """The file and the title of the current request's upload form.

    :param limit: the largest file accepted, in bytes (``DOCUMENT_MAX_BYTES``).
    :returns: ``(file, title)``; the file's stream holds at most ``limit`` bytes.
    :raises RefusedUpload: 413 when the file (or the whole request) is larger than
        ``limit``; 400 when the form's CSRF token is missing or expired, or no file was
        chosen. The CSRF token is checked here, after the body is read, so views using this
        are exempt from the automatic check.
    """
    request.max_content_length = limit * current_app.config["DOCUMENT_UPLOAD_READ_FACTOR"] + FORM_FIELDS_BYTES
    request._get_file_stream = functools.partial(capped_file_stream, limit)  # werkzeug's upload hook
    too_large = _("The file is larger than %(mb)d MB, the most that can be attached. Choose a smaller file, or make "
                  "it smaller (a PDF saved with smaller images, say), and send it again.", mb=limit // 1048576)
    try:
        title = request.form.get("title", "")
    except RequestEntityTooLarge:
        raise RefusedUpload(too_large, 413, "") from None
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (CSRFError, ValidationError):
        raise RefusedUpload(_("The form had expired. Send it again."), 400, title) from None
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise RefusedUpload(_("Choose a file to attach."), 400, title)
    if getattr(upload.stream, "overflowed", False):
        raise RefusedUpload(too_large, 413, title)
    return upload, title
