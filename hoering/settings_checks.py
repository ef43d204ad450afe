"""The checks the application factory runs on the configuration before it builds anything:
each refuses to start, with a message saying what to change, a set-up that cannot work or
is unsafe."""

from __future__ import annotations

from flask import Flask

from hoering import storage
from hoering.config import DEFAULT_SECRET_KEY, ConfigurationError
from hoering.mail_sender import check_sender


def check_mail_sender(app: Flask) -> None:
    """Refuse to send mail from a made-up address (:func:`hoering.mail_sender.check_sender`).

    Raises:
        ConfigurationError: no sender address with SMTP outside debug and testing, or one
            that is not an e-mail address.
    """
    problem = check_sender(app.config, strict=not (app.debug or app.testing))
    if problem:
        raise ConfigurationError(problem)


def check_document_storage(app: Flask) -> None:
    """Refuse to start with document storage settings that cannot work: an unknown
    ``DOCUMENT_STORAGE``, or ``s3`` without ``S3_BUCKET``, with an unknown
    ``S3_ADDRESSING_STYLE`` or with only one half of the access key. The store itself is
    not contacted (``/healthz`` does not depend on it either).

    Raises:
        ConfigurationError: saying which variable to change.
    """
    problems = storage.settings_problems(app.config)
    if problems:
        raise ConfigurationError(" ".join(problems))


def check_secret_key(app: Flask) -> None:
    """Refuse to run a real deployment with a missing or placeholder secret key.

    Raises:
        ConfigurationError: outside debug and testing when ``SECRET_KEY`` is unset, the
            placeholder, or shorter than 16 characters.
    """
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY")
    if not key or key == DEFAULT_SECRET_KEY or len(str(key)) < 16:
        raise ConfigurationError(
            "HOERING_SECRET_KEY is missing or is the built-in placeholder. Set it to a long "
            "random value (python -c 'import secrets; print(secrets.token_hex(32))') in the "
            "environment or as SECRET_KEY in instance/config.py. `make run` writes one for you."
        )


def check_search_backend(app: Flask) -> None:
    """Refuse to start with a search backend the database cannot serve.

    Raises:
        ConfigurationError: when ``SEARCH_BACKEND`` is neither ``whoosh`` nor
            ``postgresql``, or is ``postgresql`` while the database is not PostgreSQL.
    """
    backend = app.config.get("SEARCH_BACKEND") or "whoosh"
    if backend not in ("whoosh", "postgresql"):
        raise ConfigurationError(
            f'HOERING_SEARCH_BACKEND (SEARCH_BACKEND) must be "whoosh" or "postgresql". Got {backend!r}.')
    if backend == "postgresql" and not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        raise ConfigurationError(
            'HOERING_SEARCH_BACKEND is "postgresql", but the database is not PostgreSQL '
            f'({str(app.config["SQLALCHEMY_DATABASE_URI"]).split(":", 1)[0]}). Set HOERING_DATABASE_URL to a '
            'PostgreSQL database (postgresql+psycopg://…), or use the default search backend "whoosh".')
    app.config["SEARCH_BACKEND"] = backend
