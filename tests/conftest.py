"""Shared fixtures: one app and database per test session, emptied after every test.

The database is built with the real Alembic migrations. SQLite (a file in a temporary
folder) by default; PostgreSQL when ``HOERING_TEST_DATABASE_URL`` is set, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` (its tables are dropped first).

Tests talk to the app through its doors: the test client (HTTP) and the CLI runner.
Factories (``make_user``, ``make_consultation``, ``make_comment``) write straight to the
database to set the scene, and return detached rows whose column attributes can be read.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass

# docx … sklearn: the libraries the app loads only in its child processes
# (hoering/isolation.py), loaded once here, so that the children the tests fork inherit
# them instead of importing them again for every chart, report and near-duplicate count
# (seconds each). The children still run; a worker's own imports are checked in fresh
# processes (tests/test_lean_imports.py).
import docx  # noqa: F401
import fpdf  # noqa: F401
import matplotlib.figure  # noqa: F401
import openpyxl  # noqa: F401
import pytest
import sklearn.decomposition  # noqa: F401
import sklearn.feature_extraction.text  # noqa: F401
import sqlalchemy as sa
import weasyprint  # noqa: F401
from flask_migrate import upgrade

from hoering import create_app, migrating
from hoering.extensions import db
from hoering.search.services import enqueue, process_pending
from hoering.timeutil import end_of_oslo_day, oslo_today, utcnow

SHARED_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data")
TEST_PASSWORD = "correct-horse-battery"
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def shared_data(*parts: str) -> str:
    """Path below ``../shared/data``; the test is skipped when the folder is absent."""
    path = os.path.normpath(os.path.join(SHARED_DATA, *parts))
    if not os.path.exists(path):
        pytest.skip(f"shared data not found: {path}")
    return path


def _test_database_url(tmp_path_factory) -> str:
    """The database of this test process: a file of its own for SQLite; for PostgreSQL
    ``HOERING_TEST_DATABASE_URL`` itself, or, under pytest-xdist, a database per worker
    beside it (``test_gw0``, ``test_gw1``…), created when missing."""
    database_url = os.environ.get("HOERING_TEST_DATABASE_URL")
    if not database_url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return database_url
    url = sa.engine.make_url(database_url)
    name = f"{url.database}_{worker}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).scalar() is None:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    database_url = _test_database_url(tmp_path_factory)
    app = create_app({
        "TESTING": True,
        # Limits are on, as in production, but high; rate-limit tests lower them.
        "RATELIMIT_COMMENTS": "100000 per minute",
        "RATELIMIT_SUPPORTS": "100000 per minute",
        "RATELIMIT_REPORTS": "100000 per minute",
        "RATELIMIT_REGISTRATION": "100000 per minute",
        "RATELIMIT_LOGIN": "100000 per minute",
        "RATELIMIT_API": "100000 per minute",
        "RATELIMIT_RESPONSES": "100000 per minute",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("search-index")),
        "MAIL_DIR": str(tmp_path_factory.mktemp("mail")),
        # Index tasks are queued as always but applied only in tests that search (the
        # ``search_inline`` fixture), which keeps the rest of the suite fast.
        "SEARCH_INDEX_INLINE": False,
        # Mail is sent when a test says so (the outbox after responses: tests/test_worker.py).
        "MAIL_SWEEP_SECONDS": 0,
    })
    migrating.enable(app)  # Flask-Migrate is bound only where migrations run
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        # Rows the migrations seed (the default house rules), restored after every test.
        app.config["SEEDED_ROWS"] = {
            table.name: [dict(row._mapping) for row in db.session.execute(table.select())]
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database(app):
    from hoering.extensions import limiter

    limiter.reset()
    yield
    # The OpenID Connect providers a test's discovery added to the pages' form-action.
    from hoering.security import FORM_ACTION_EXTENSION

    app.extensions.pop(FORM_ACTION_EXTENSION, None)
    with app.app_context():
        db.session.remove()
        from hoering.search.services import get_index

        get_index().clear()
        from hoering import cache

        cache.clear()  # the next test's consultations have the same ids and versions
        from hoering.consultations import versions

        versions.forget_heads()  # and the same slugs
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            for table in db.metadata.sorted_tables:
                if app.config["SEEDED_ROWS"][table.name]:
                    connection.execute(table.insert(), app.config["SEEDED_ROWS"][table.name])


#: Settings of the session's app that another app on the same database and folders takes.
SECOND_APP_SETTINGS = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PASSWORD_HASH_METHOD", "SEARCH_INDEX_DIR",
                       "MAIL_DIR", "SEARCH_INDEX_INLINE", "MAIL_SWEEP_SECONDS", "RATELIMIT_COMMENTS", "RATELIMIT_REPORTS",
                       "RATELIMIT_REGISTRATION", "RATELIMIT_LOGIN")


@pytest.fixture
def make_app(app):
    """``make_app(**settings)`` → another app on the test database and folders, made with
    the session app's :data:`SECOND_APP_SETTINGS` and then ``settings`` (a proxy in front,
    an https site, a database behind a switch); its connections are closed after the test."""
    made = []

    def make(**settings):
        made.append(create_app({**{key: app.config[key] for key in SECOND_APP_SETTINGS}, **settings}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def search_inline(app, monkeypatch):
    """Apply index tasks after every request and factory call, as in production."""
    monkeypatch.setitem(app.config, "SEARCH_INDEX_INLINE", True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _detach(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    """``make_user(role="citizen", email=None, name=None, password=TEST_PASSWORD, consented=True,
    verified=True)`` → User (``consented``: has agreed to publication, as after a first
    comment; ``verified``: the e-mail address is verified)."""
    from hoering.accounts.models import User
    from hoering.accounts.services import hash_password

    counter = iter(range(1, 1_000_000))

    def make(role: str = "citizen", email: str | None = None, name: str | None = None, password: str = TEST_PASSWORD,
             consented: bool = True, verified: bool = True):
        n = next(counter)
        with app.app_context():
            user = User(email=email or f"{role}{n}@example.org", display_name=name or f"{role.title()} {n}",
                        publication_consent_at=utcnow() if consented else None,
                        email_verified_at=utcnow() if verified else None,
                        password_hash=hash_password(password), role=role)
            db.session.add(user)
            db.session.commit()
            user = _detach(user)
        user.password = password
        return user

    return make


@pytest.fixture
def make_consultation(app):
    """``make_consultation(status="open", **fields)`` → Consultation.

    ``status`` is one of open, upcoming, closed, draft and sets the dates around now.
    """
    from hoering.consultations.models import Consultation, Question
    from hoering.sanitize import markdown_html

    counter = iter(range(1, 1_000_000))

    def make(status: str = "open", questions: tuple[str, ...] = (), **fields):
        n = next(counter)
        now = utcnow()
        today = oslo_today(now)
        dates = {
            "open": (now - dt.timedelta(days=5), end_of_oslo_day(today + dt.timedelta(days=10))),
            "upcoming": (now + dt.timedelta(days=5), end_of_oslo_day(today + dt.timedelta(days=20))),
            "closed": (now - dt.timedelta(days=30), end_of_oslo_day(today - dt.timedelta(days=2))),
            "draft": (now + dt.timedelta(days=5), end_of_oslo_day(today + dt.timedelta(days=20))),
        }[status]
        values = {
            "slug": f"horing-{n}", "title": f"Høring {n}", "summary": f"Sammendrag {n}",
            "body_markdown": "Saken **gjelder** noe.", "opens_at": dates[0], "closes_at": dates[1],
            "published_at": None if status == "draft" else now - dt.timedelta(days=40),
        }
        values.update(fields)
        values["body_html"] = markdown_html(values["body_markdown"])
        with app.app_context():
            consultation = Consultation(**values)
            consultation.questions = [Question(text=q, position=i) for i, q in enumerate(questions)]
            db.session.add(consultation)
            db.session.flush()
            enqueue("consultation", consultation.id)  # as the services do, so the index is in step
            db.session.commit()
            if app.config["SEARCH_INDEX_INLINE"]:
                process_pending()
            return _detach(consultation)

    return make


@pytest.fixture
def make_comment(app):
    """``make_comment(consultation, author, text, parent=None, created_at=None, state="published",
    support_count=0, disagree_count=0, pass_count=0)``."""
    from hoering.comments.models import Comment
    from hoering.comments.services import place_in_thread
    from hoering.sanitize import comment_html

    def make(consultation, author, text: str = "En kommentar", parent=None, created_at=None,
             state: str = "published", support_count: int = 0, disagree_count: int = 0, pass_count: int = 0):
        with app.app_context():
            parent_row = db.session.get(Comment, parent.id) if parent is not None else None
            comment = Comment(
                consultation_id=consultation.id, author_id=author.id, parent_id=parent.id if parent else None,
                body_text=text, body_html=comment_html(text), state=state,
                created_at=created_at or utcnow(), support_count=support_count,
                disagree_count=disagree_count, pass_count=pass_count,
            )
            db.session.add(comment)
            db.session.flush()
            place_in_thread(comment, parent_row, app.config["MAX_REPLY_DEPTH"])
            enqueue("comment", comment.id)
            db.session.commit()
            if app.config["SEARCH_INDEX_INLINE"]:
                process_pending()
            return _detach(comment)

    return make


def csrf_token_from(html: str) -> str:
    """The first CSRF token in a page."""
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Browser:
    """A test client that behaves like a person with a browser: it reads the CSRF token
    from the page it was on before it posts a form."""

    client: object

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def submit(self, page_url: str, action: str | None = None, data: dict | None = None, **kwargs):
        """GET ``page_url``, then POST ``data`` plus the page's CSRF token to ``action``
        (default: the same URL)."""
        page = self.client.get(page_url)
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post(action or page_url, data={"csrf_token": token, **(data or {})}, **kwargs)

    def comment(self, slug: str, text: str, reply_to: int | None = None, **extra) -> int:
        """Post a comment (with ``reply_to``, a reply to that comment) from the page of
        consultation ``slug``, as a person does; returns the new comment's id."""
        data = {"text": text, **extra, **({"parent_id": str(reply_to)} if reply_to is not None else {})}
        response = self.submit(f"/hoeringer/{slug}", f"/hoeringer/{slug}/kommentarer", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def login(self, user, remember: bool = False):
        response = self.submit("/logg-inn", data={"email": user.email, "password": user.password,
                                                  "remember": "y" if remember else ""})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.submit("/", "/logg-ut")


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def browser_for(app, make_user):
    """``browser_for(role="citizen", **user_fields)`` → a new logged-in Browser with ``.user``."""

    def make(role: str = "citizen", **fields) -> Browser:
        user = make_user(role=role, **fields)
        other = Browser(app.test_client())
        other.login(user)
        other.user = user
        return other

    return make


@contextmanager
def captured_sql(app):
    """The SQL statements ``app``'s engine runs inside the block (a list, filled as they
    run, each with its whitespace collapsed)."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


class _Counter:
    def __init__(self, statements: list[str]):
        self.statements = statements

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Context manager counting SQL statements: ``with count_queries() as counter: …; counter.count``."""

    @contextmanager
    def counting():
        with captured_sql(app) as statements:
            yield _Counter(statements)

    return counting
