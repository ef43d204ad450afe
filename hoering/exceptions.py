"""Errors raised by services; views turn them into messages and HTTP statuses."""

from __future__ import annotations

import contextlib


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
        #: Errors found on other fields at the same time (:class:`ErrorCollector`), so a
        #: form can show all of them at once: ``(field or None, message)`` pairs.
        self.more: list[tuple[str | None, object]] = []

    def by_field(self) -> list[tuple[str | None, object]]:
        """Every error this one stands for, its own first: ``(field or None, message)``."""
        return [(self.field, self.message), *self.more]


class ErrorCollector:
    """Runs several checks and raises the first error they raised, carrying the others
    (:attr:`ServiceError.more`), so that a form shows every mistake at once instead of
    one per sending::

        errors = ErrorCollector()
        with errors.check():
            text = check_text(text)
        with errors.check():
            check_consent(...)
        errors.raise_any()
    """

    def __init__(self):
        self.errors: list[ServiceError] = []

    @contextlib.contextmanager
    def check(self):
        """A block whose :class:`ServiceError` is noted instead of raised."""
        try:
            yield
        except ServiceError as error:
            self.errors.append(error)

    def raise_any(self) -> None:
        """Raise the first error noted, with the others in its ``more``; nothing if none.

        Raises:
            ServiceError: the first one noted (its class and status decide the answer).
        """
        if self.errors:
            first, *others = self.errors
            first.more = [pair for other in others for pair in other.by_field()]
            raise first


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
