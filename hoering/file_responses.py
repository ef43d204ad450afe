"""The HTTP answer for a file from the document store (:mod:`hoering.storage`).

Consultation documents, meeting documents and the attachments of formal responses are
served the same way: streamed from the store, with the content hash as the ETag, byte
ranges and conditional requests as for a file on disk, and headers that keep the browser
from guessing the type or running anything in the file (OWASP, "File Upload Cheat Sheet":
``X-Content-Type-Options: nosniff`` and a sandboxing Content-Security-Policy).
"""

from __future__ import annotations

from flask import Response, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from hoering.storage import StoredFile

#: The Content-Security-Policy of a served file: nothing loads, scripts never run.
FILE_POLICY = "default-src 'none'; sandbox"


def stored_file_response(stored: StoredFile, *, mime: str, filename: str, content_hash: str, inline: bool,
                         private: bool, max_age: int = 300) -> Response:
    """A response streaming ``stored``.

    :param stored: the open file from :meth:`hoering.storage.Storage.open` (closed by the
        response when it is sent, or here when the range asked for cannot be served).
    :param mime: the type recorded when the file was checked at upload (never guessed again).
    :param filename: the download name offered to the browser.
    :param content_hash: the file's SHA-256 (hex), sent as the ETag.
    :param inline: shown in the browser (e.g. a PDF) rather than downloaded.
    :param private: not for shared caches (a draft, or anything only staff may see):
        ``Cache-Control: private, no-store``; else cached for ``max_age`` seconds, kept
        short so that a removed file does not linger.
    :raises RequestedRangeNotSatisfiable: 416 for a ``Range`` outside the file.
    """
    response = send_file(stored, mimetype=mime, as_attachment=not inline, download_name=filename,
                         conditional=False, etag=content_hash, last_modified=stored.modified, max_age=max_age)
    if stored.size is not None:
        response.content_length = stored.size
    try:
        response = response.make_conditional(request.environ, accept_ranges=True, complete_length=stored.size)
    except RequestedRangeNotSatisfiable:
        stored.close()
        raise
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response
