"""Hoering: an open-source citizen-hearing platform.

:func:`create_app` builds the Flask application; ``wsgi.py`` calls it for servers and the
``flask`` command.
"""

from __future__ import annotations

import os
import sqlite3
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hoering import errors, outage
from hoering.config import ConfigurationError, DefaultConfig, env_overrides
from hoering.requestlog import configure_logging
from hoering.settings_checks import check_document_storage, check_mail_sender, check_search_backend, check_secret_key

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    """Build the application.

    Args:
        config: settings applied last, over the defaults, ``instance/config.py`` and
            ``HOERING_*`` environment variables (tests pass ``{"TESTING": True, ...}``).

    Returns:
        The configured :class:`flask.Flask` app.

    Raises:
        ConfigurationError: outside debug and testing, when ``SECRET_KEY`` is missing or
            the built-in placeholder; always, when ``TRUSTED_PROXIES`` is not a whole
            number from 0 up, ``ALLOWED_HOSTS`` is not a list of host names, the document
            storage settings are incomplete (:func:`check_document_storage`), or
            ``SEARCH_BACKEND`` is unknown or ``postgresql`` on another database.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides())
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "hoering.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    check_secret_key(app)
    check_search_backend(app)
    engine_options(app)
    secure_cookies(app)
    allow_hosts(app)
    trust_proxies(app)
    check_document_storage(app)
    check_mail_sender(app)
    configure_logging(app)

    register_extensions(app)
    register_subscribers(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def secure_cookies(app: Flask) -> None:
    """Session and remember-me cookies are ``Secure`` when the site is served over HTTPS
    (``SITE_URL`` starts with ``https://``), unless set explicitly; they are always
    ``HttpOnly`` and ``SameSite=Lax`` (DefaultConfig)."""
    https = str(app.config.get("SITE_URL", "")).startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in app.config or app.config[key] is None:
            app.config[key] = https


def engine_options(app: Flask) -> None:
    """Database connections that survive an outage: a connection that rested in the pool for
    more than ``DATABASE_PING_IDLE_SECONDS`` is tested before use and replaced when it died
    (:func:`hoering.database.ping_when_idle`, wired in :func:`register_extensions`), so the
    site recovers on its own when the database is back; on PostgreSQL a 10-second connect
    timeout, so that requests during an outage are answered (503) rather than left hanging.

    Testing every connection (SQLAlchemy's ``pool_pre_ping``) would cost a round trip to the
    database on every request, as much as the one query of a cached page; it can still be
    chosen in ``SQLALCHEMY_ENGINE_OPTIONS``."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": 10, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def allow_hosts(app: Flask) -> None:
    """Decide which ``Host`` headers the site answers (``ALLOWED_HOSTS``, checked by
    :func:`hoering.security.refuse_foreign_hosts`). Unset (``None``): on a real deployment
    served over HTTPS (``SITE_URL`` starts with ``https://``, not debug or testing) only the
    host of ``SITE_URL``; otherwise any host (a development server is reached as
    ``localhost`` as well as ``127.0.0.1``). An explicit list is used as it is; ``[]``
    allows any host.

    Flask's own ``TRUSTED_HOSTS`` is not used: a request it refuses has no URL adapter, so
    not even the error page could be drawn.

    Raises:
        ConfigurationError: when ``ALLOWED_HOSTS`` is neither ``None`` nor a list of host names.
    """
    hosts = app.config.get("ALLOWED_HOSTS")
    if hosts is None:
        site = str(app.config.get("SITE_URL", ""))
        hosts = [urlsplit(site).hostname] if site.startswith("https://") and not (app.debug or app.testing) else []
    if not isinstance(hosts, (list, tuple)) or not all(isinstance(host, str) and host for host in hosts):
        raise ConfigurationError(
            'HOERING_ALLOWED_HOSTS (ALLOWED_HOSTS) must be a list of host names, e.g. '
            f'["hoering.fjordvik.no"], or [] to answer any host. Got {hosts!r}.'
        )
    app.config["ALLOWED_HOSTS"] = list(hosts)


def trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` headers set by the ``TRUSTED_PROXIES`` reverse proxies in front of
    the app (Werkzeug's ProxyFix): the address is the one the outermost trusted proxy saw,
    counted from the right, so what a client writes into the header itself is ignored. With
    0 (the default) the headers are ignored and the address is the connection's.
    ``X-Forwarded-Host`` is never used: absolute addresses are built on ``SITE_URL``.

    Raises:
        ConfigurationError: when ``TRUSTED_PROXIES`` is not a whole number from 0 up (a
            string of digits, as in ``instance/config.py``, is accepted).
    """
    value = app.config.get("TRUSTED_PROXIES", 0)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"HOERING_TRUSTED_PROXIES (TRUSTED_PROXIES) must be the number of reverse proxies in "
            f"front of the app: 0 when clients connect directly, 1 behind one nginx, and so on. "
            f"Got {value!r}."
        )
    app.config["TRUSTED_PROXIES"] = value
    if value:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=value, x_proto=value, x_host=0, x_port=0, x_prefix=0)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Enforce foreign keys and use WAL on SQLite (one writer, many readers). How long a
    statement waits for a lock is the driver's ``timeout`` (5 seconds unless
    ``SQLALCHEMY_ENGINE_OPTIONS["connect_args"]["timeout"]`` says otherwise)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_extensions(app: Flask) -> None:
    """Bind the extension objects of :mod:`hoering.extensions` to ``app``."""
    from hoering import database, i18n, migrating
    from hoering.extensions import babel, csrf, db, limiter, login_manager

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            database.track(engine)
            if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
                database.ping_when_idle(engine, float(app.config["DATABASE_PING_IDLE_SECONDS"]))
    migrating.register(app)  # `flask db …`: Alembic is imported only when those commands run
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=os.path.join(PROJECT_ROOT, "hoering", "translations"),
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = i18n.LOGIN_REQUIRED_MESSAGE
    login_manager.login_message_category = "info"

    from flask import has_request_context, request

    from hoering.extensions import USER_LOADERS
    from hoering.moderation.models import user_with_active_ban

    @login_manager.user_loader
    def load_user(user_id: str):
        number, _dot, version = (user_id or "").partition(".")
        try:
            # with the ban in force, which most pages ask about (one query instead of two),
            # and on some pages with what else they need (hoering.extensions.USER_LOADERS)
            endpoint = request.endpoint if has_request_context() else None
            user = USER_LOADERS.get(endpoint, user_with_active_ban)(int(number))
        except ValueError:
            return None
        if user is None or version != str(user.session_version):
            return None  # the password changed since this session began
        return user


#: The modules whose subscribers handle domain events (docs/ARCHITECTURE.md lists them).
SUBSCRIBER_MODULES = ("hoering.search.subscribers", "hoering.notifications.subscribers",
                      "hoering.comments.subscribers", "hoering.consultations.subscribers",
                      "hoering.summaries.subscribers", "hoering.alerts.subscribers",
                      "hoering.meetings.subscribers", "hoering.responses.subscribers")


def register_subscribers(app: Flask) -> None:
    """Connect every feature's subscribers to the domain events (:mod:`hoering.events`),
    once per process: importing a ``subscribers`` module registers its functions."""
    import importlib

    for module in SUBSCRIBER_MODULES:
        importlib.import_module(module)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per area."""
    from hoering.accounts import bp as accounts_bp
    from hoering.accounts import invitation_views as _invitation_views  # noqa: F401
    from hoering.accounts import oidc_views as _oidc_views  # noqa: F401
    from hoering.accounts import views as _accounts_views  # noqa: F401  (attaches the routes)
    from hoering.accounts.language import bp as language_bp
    from hoering.admin import bp as admin_bp
    from hoering.admin import views as _admin_views  # noqa: F401
    from hoering.alerts import bp as alerts_bp
    from hoering.alerts import views as _alerts_views  # noqa: F401
    from hoering.api import bp as api_bp
    from hoering.api import meetings_views as _api_meetings_views  # noqa: F401
    from hoering.api import views as _api_views  # noqa: F401
    from hoering.comments import bp as comments_bp
    from hoering.comments import views as _comments_views  # noqa: F401
    from hoering.consultations import bp as consultations_bp
    from hoering.consultations import document_views as _document_views  # noqa: F401
    from hoering.consultations import section_views as _section_views  # noqa: F401
    from hoering.consultations import views as _consultations_views  # noqa: F401
    from hoering.dashboard import bp as dashboard_bp
    from hoering.dashboard import views as _dashboard_views  # noqa: F401
    from hoering.exports import archive_views as _archive_views  # noqa: F401
    from hoering.exports import bp as exports_bp
    from hoering.exports import views as _exports_views  # noqa: F401
    from hoering.extensions import csrf
    from hoering.health import bp as health_bp
    from hoering.meetings import bp as meetings_bp
    from hoering.meetings import staff_views as _meetings_staff_views  # noqa: F401
    from hoering.meetings import views as _meetings_views  # noqa: F401
    from hoering.moderation import bp as moderation_bp
    from hoering.moderation import views as _moderation_views  # noqa: F401
    from hoering.notices import bp as notices_bp
    from hoering.notices import views as _notices_views  # noqa: F401
    from hoering.notifications import bp as notifications_bp
    from hoering.notifications import views as _notifications_views  # noqa: F401
    from hoering.outreach import bp as outreach_bp
    from hoering.outreach import views as _outreach_views  # noqa: F401
    from hoering.responses import bp as responses_bp
    from hoering.responses import staff_views as _response_staff_views  # noqa: F401
    from hoering.responses import views as _responses_views  # noqa: F401
    from hoering.search import bp as search_bp
    from hoering.search import views as _search_views  # noqa: F401
    from hoering.statements import bp as statements_bp
    from hoering.statements import views as _statements_views  # noqa: F401
    from hoering.summaries import bp as summaries_bp
    from hoering.summaries import coding_views as _coding_views  # noqa: F401
    from hoering.summaries import proposal_views as _proposal_views  # noqa: F401
    from hoering.summaries import views as _summaries_views  # noqa: F401

    app.register_blueprint(consultations_bp)
    app.register_blueprint(statements_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(summaries_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(outreach_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(alerts_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(responses_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # read-only and cookie-less: nothing there for a forged request to change
    app.register_blueprint(language_bp)
    app.register_blueprint(health_bp)


def register_errorhandlers(app: Flask) -> None:
    """Answer errors with pages in the site's layout, or JSON under ``/api/``; a database
    outage with 503 (:mod:`hoering.outage`)."""
    errors.register(app)
    outage.register(app)


def register_request_hooks(app: Flask) -> None:
    """Refuse foreign hosts before anything else; security headers on every response."""
    from hoering import security

    app.before_request_funcs.setdefault(None, []).insert(0, security.refuse_foreign_hosts)
    app.after_request(security.set_security_headers)

    @app.after_request
    def apply_index_tasks(response):
        """Bring the search index up to date after a request that wrote searchable content."""
        from flask import g

        if g.get("search_tasks_pending") and app.config["SEARCH_INDEX_INLINE"]:
            from hoering.search.services import process_pending

            try:
                process_pending()
            except Exception:  # the tasks stay queued; never fail the user's request for the index
                app.logger.exception("applying search index tasks failed; they stay queued")
        return response

    # time.monotonic() of this process's last look for due events, for mail, for the daily mails
    last_sweep = {"events": -float("inf"), "mail": -float("inf"), "daily": -float("inf")}

    @app.after_request
    def run_background_work(response):
        """Now and then, once the response has gone, the work behind the pages
        (:mod:`hoering.background`): due domain events and waiting index tasks
        (``EVENT_SWEEP_SECONDS``), the mail outbox with, hourly, the deadline reminders and
        moderator digests (``MAIL_SWEEP_SECONDS``). A background worker does the same."""
        from hoering import background

        now = time.monotonic()
        if app.config["EVENT_SWEEP_SECONDS"] and now - last_sweep["events"] >= app.config["EVENT_SWEEP_SECONDS"]:
            last_sweep["events"] = now
            apply_index = app.config["SEARCH_INDEX_INLINE"]
            response.call_on_close(_in_app_context(
                app, lambda: background.deliver_events_and_index(apply_index=apply_index)))
        if app.config["MAIL_SWEEP_SECONDS"] and now - last_sweep["mail"] >= app.config["MAIL_SWEEP_SECONDS"]:
            last_sweep["mail"] = now
            daily = now - last_sweep["daily"] >= 3600
            if daily:
                last_sweep["daily"] = now
            response.call_on_close(_in_app_context(app, lambda: background.send_mail(queue_daily=daily)))
        return response

    last_mail_sweep = [-float("inf")]  # time.monotonic() of this process's last sweep for waiting account mails

    @app.after_request
    def send_account_mails(response):
        """Send the verification and password-reset mails this request queued, once the
        response has gone (its timing must not tell whether an address has an account)."""
        from flask import g

        mail_ids = g.get("account_mail_ids")
        if mail_ids and app.config["MAIL_ACCOUNT_INLINE"]:
            from hoering.notifications.services import deliver_account_mails

            def send():
                with app.app_context():
                    deliver_account_mails(mail_ids)

            response.call_on_close(send)
        if app.config["MAIL_ACCOUNT_INLINE"] and (
                time.monotonic() - last_mail_sweep[0] >= app.config["MAIL_ACCOUNT_SWEEP_SECONDS"]):
            # Now and then, also the account mails whose own delivery did not run.
            from hoering.notifications.services import deliver_stuck_account_mails

            last_mail_sweep[0] = time.monotonic()
            response.call_on_close(_in_app_context(app, deliver_stuck_account_mails))
        for task in g.get("after_response", []):
            response.call_on_close(_in_app_context(app, task))
        return response


def _in_app_context(app: Flask, task):
    def run():
        with app.app_context():
            try:
                task()
            except Exception:  # the response has gone; log it
                app.logger.exception("a task run after the response failed")
            finally:
                from hoering.extensions import db

                db.session.remove()

    return run


def register_template_helpers(app: Flask) -> None:
    """Filters and globals used by the templates."""
    from hoering import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask hoering …`` command group."""
    from hoering.accounts.oidc_mock import oidc_mock_command
    from hoering.cli import hoering_cli

    hoering_cli.add_command(oidc_mock_command)
    app.cli.add_command(hoering_cli)
