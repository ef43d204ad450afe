"""Log lines that name the client: every record logged while a request is handled carries
the client's address (``%(client_address)s``), as the trusted proxies reported it.

The address goes to the log only, never to the database (docs/SECURITY.md, Privacy).
"""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, request
from flask.logging import default_handler, has_level_handler, wsgi_errors_stream

#: The app's log format: Flask's own, with the client's address.
LOG_FORMAT = "[%(asctime)s] %(levelname)s in %(module)s (client %(client_address)s): %(message)s"


class ClientAddressFilter(logging.Filter):
    """Stamps ``record.client_address``: the client's IP address during a request (after
    the trusted proxies are applied, see ``TRUSTED_PROXIES``), else ``-``. Never drops a
    record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "client_address"):
            record.client_address = (request.remote_addr or "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    """Write the app's log records to the server's error stream in :data:`LOG_FORMAT`,
    where Flask would use its default handler (when nothing else handles them). A
    deployment that configured logging itself keeps its handlers; the records carry the
    ``client_address`` attribute for their formats."""
    address_filter = ClientAddressFilter()
    app.logger.addFilter(address_filter)
    if default_handler in app.logger.handlers or not has_level_handler(app.logger):
        app.logger.removeHandler(default_handler)
        handler = logging.StreamHandler(wsgi_errors_stream)  # type: ignore[arg-type]
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(address_filter)
        app.logger.addHandler(handler)
