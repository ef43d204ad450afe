"""Opaque cursors of the API's lists: where the next page starts, signed so that a client
can hand them back but neither read nor forge them.

A cursor names the last item of the page it came with (a thread's id, time and support
count, or a reply's place in its thread) and the list it belongs to (the consultation, the
sort order, the thread). Reading after that item gives the same next items however many new
ones arrive in front of it, where a page number would shift them.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from hoering.comments.threads import SORTS, ThreadKey

#: Longest cursor accepted, in characters (real ones are under 200).
MAX_CURSOR_LENGTH = 500
_SALT = "hoering.api.cursor"


class BadCursor(ValueError):
    """A cursor that was not made by this site, was altered, or belongs to another list."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _load(token: str) -> dict:
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise BadCursor("cursor is empty or too long")
    try:
        data = _serializer().loads(token)
    except BadData as error:
        raise BadCursor("cursor is not valid") from error
    if not isinstance(data, dict):
        raise BadCursor("cursor is not valid")
    return data


def thread_cursor(consultation_id: int, sort: str, key: ThreadKey) -> str:
    """The cursor of the threads of ``consultation_id`` in ``sort`` order after ``key``."""
    return _serializer().dumps({"l": "threads", "c": consultation_id, "s": sort,
                                "k": [key.id, key.created_at.isoformat(), key.support_count]})


def read_thread_cursor(token: str, consultation_id: int) -> tuple[str, ThreadKey]:
    """``(sort, key)`` of a cursor from :func:`thread_cursor`.

    Raises:
        BadCursor: the token is not such a cursor, or belongs to another consultation.
    """
    data = _load(token)
    try:
        key_id, created_at, support_count = data["k"]
        key = ThreadKey(id=int(key_id), created_at=dt.datetime.fromisoformat(created_at),
                        support_count=int(support_count))
        sort = data["s"]
        valid = data["l"] == "threads" and data["c"] == consultation_id and sort in SORTS
    except (KeyError, TypeError, ValueError) as error:
        raise BadCursor("cursor is not valid") from error
    if not valid or key.created_at.tzinfo is None:
        raise BadCursor("cursor belongs to another list")
    return sort, key


def reply_cursor(thread_id: int, path: str) -> str:
    """The cursor of the replies of thread ``thread_id`` after the reply at ``path``."""
    return _serializer().dumps({"l": "replies", "t": thread_id, "p": path})


def read_reply_cursor(token: str, thread_id: int) -> str:
    """The reply ``path`` of a cursor from :func:`reply_cursor`.

    Raises:
        BadCursor: the token is not such a cursor, or belongs to another thread.
    """
    data = _load(token)
    if data.get("l") != "replies" or data.get("t") != thread_id or not isinstance(data.get("p"), str):
        raise BadCursor("cursor belongs to another list")
    return data["p"]
