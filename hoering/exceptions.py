"""Errors raised by services; views turn them into messages and HTTP statuses."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose.

    Attributes:
        message: a translatable message for the user (a lazy gettext string).
        status: the HTTP status a view should answer with.
    """

    status = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        #: The form field the message belongs to, when it is not the main one.
        self.field = field


class ValidationFailed(ServiceError):
    """The input breaks a rule (empty, too long, wrong thread …): HTTP 422."""

    status = 422


class PermissionDenied(ServiceError):
    """The user may not do this (not logged in, not the author, closed consultation): HTTP 403."""

    status = 403


class Conflict(ServiceError):
    """The input clashes with stored data (e-mail already registered, slug taken): HTTP 409."""

    status = 409


class Unavailable(ServiceError):
    """Something the request needs cannot be used just now (the document store does not
    answer): HTTP 503; the same request may work a little later."""

    status = 503
