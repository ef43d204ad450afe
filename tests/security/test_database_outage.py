"""A database outage: pages and the API answer 503 with Retry-After, a citizen's text comes
back in a form she can send again, and the app recovers on its own when the database is back.

The outage is real. On PostgreSQL a small TCP proxy sits between the app and the server and
is cut (every connection dropped, new ones refused) and restored. On SQLite another
connection holds an exclusive lock on the database file ("database is locked").
"""

from __future__ import annotations

import html
import re
import socket
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hoering import create_app
from hoering.comments.models import Comment
from hoering.extensions import db
from tests.conftest import SECOND_APP_SETTINGS, TEST_PASSWORD, csrf_token_from


class TcpProxy:
    """Forwards connections from a local port to ``target`` until :meth:`cut`, which drops
    every open connection and refuses new ones (they are closed at once) until
    :meth:`restore`."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self.stopped = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.is_up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    def cut(self) -> None:
        self.is_up = False
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for end in sockets:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def restore(self) -> None:
        self.is_up = True

    def stop(self) -> None:
        self.cut()
        self.stopped = True
        self.listener.close()
        self.thread.join()


class SqliteLock:
    """Holds an exclusive lock on a SQLite database from another connection while cut: no
    other connection can read or write it. In WAL mode every open connection keeps a shared
    lock, so the apps' pooled connections (``apps``) are closed first."""

    def __init__(self, path: str, apps):
        self.path = path
        self.apps = apps
        self.connection: sqlite3.Connection | None = None

    def cut(self) -> None:
        for one in self.apps:
            with one.app_context():
                db.session.remove()
                db.engine.dispose()
        self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        self.connection.execute("BEGIN EXCLUSIVE")
        self.connection.execute("SELECT count(*) FROM user").fetchone()

    def restore(self) -> None:
        if self.connection is not None:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            self.connection.close()
            self.connection = None

    def stop(self) -> None:
        self.restore()


@pytest.fixture
def outage(app):
    """``(app, switch)``: a second app on the test database whose connection can be cut
    (``switch.cut()``) and restored (``switch.restore()``)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    settings = {key: app.config[key] for key in SECOND_APP_SETTINGS}
    # Errors are answered as in production, not raised into the test (as TESTING would).
    settings["PROPAGATE_EXCEPTIONS"] = False
    if url.get_backend_name() == "postgresql":
        switch = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        proxied = url.set(host="127.0.0.1", port=switch.port)
        settings["SQLALCHEMY_DATABASE_URI"] = proxied.render_as_string(hide_password=False)
    else:
        # Give up waiting for the lock after a moment, not the default 5 seconds.
        settings.update(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})
    other = create_app(settings)
    if url.get_backend_name() != "postgresql":
        switch = SqliteLock(url.database, [app, other])
    yield other, switch
    switch.restore()
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    switch.stop()


def logged_in_client(app, user):
    client = app.test_client()
    token = csrf_token_from(client.get("/logg-inn").get_data(as_text=True))
    response = client.post("/logg-inn", data={"csrf_token": token, "email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 303
    return client


def form_fields(page: str) -> dict:
    """The fields of the (only) form with a textarea in ``page``: hidden inputs and the text."""
    form = re.search(r'<form[^>]*method="post"[^>]*>((?:(?!</form>).)*<textarea(?:(?!</form>).)*)</form>', page, re.S)
    assert form, "no form with a text field in the page"
    fields = {html.unescape(name): html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1))}
    name, text = re.search(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form.group(1)).groups()
    fields[name] = html.unescape(text)
    return fields


@pytest.mark.parametrize("is_reply", [False, True], ids=["comment", "reply"])
def test_a_comment_posted_during_an_outage_is_kept_and_goes_through_afterwards(outage, make_user, make_consultation,
                                                                               make_comment, is_reply):
    other, switch = outage
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Det første innlegget")
    citizen = make_user()
    client = logged_in_client(other, citizen)
    page = f"/hoeringer/{consultation.slug}"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    text = "Mitt innspill om skolen & <veien> som ikke må gå tapt"
    data = {"csrf_token": token, "text": text, **({"parent_id": str(parent.id)} if is_reply else {})}

    switch.cut()
    failed = client.post(f"{page}/kommentarer", data=data)

    body = failed.get_data(as_text=True)
    assert failed.status_code == 503
    assert int(failed.headers["Retry-After"]) > 0
    assert "Tjenesten er midlertidig utilgjengelig" in body
    kept = form_fields(body)
    assert kept["text"] == text
    assert kept.get("parent_id") == (str(parent.id) if is_reply else None)
    assert re.search(rf'<form[^>]*action="{re.escape(page)}/kommentarer"', body)

    switch.restore()
    again = client.post(f"{page}/kommentarer", data=kept)

    assert again.status_code == 303
    with other.app_context():
        stored = db.session.scalars(sa.select(Comment).where(Comment.body_text == text)).one()
        assert stored.parent_id == (parent.id if is_reply else None)
        assert stored.author_id == citizen.id


def test_pages_and_the_api_answer_503_during_an_outage_and_recover(outage, make_user, make_consultation):
    other, switch = outage
    consultation = make_consultation()
    visitor = other.test_client()
    citizen = logged_in_client(other, make_user())  # her user is loaded from the database on every request
    urls = ["/", f"/hoeringer/{consultation.slug}", "/api/v1/consultations"]

    switch.cut()
    for client in (visitor, citizen):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 503, (url, response.status_code)
            assert int(response.headers["Retry-After"]) > 0
            if url.startswith("/api/"):
                assert response.json["error"]["code"] == "unavailable"
            else:
                assert "Tjenesten er midlertidig utilgjengelig" in response.get_data(as_text=True)

    switch.restore()
    for client in (visitor, citizen):
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert "Logg ut" in citizen.get("/").get_data(as_text=True)  # still logged in


def test_a_report_written_during_an_outage_is_kept(outage, make_user, make_consultation, make_comment):
    other, switch = outage
    comment = make_comment(make_consultation(), make_user(), "Et innlegg")
    client = logged_in_client(other, make_user())
    url = f"/kommentarer/{comment.id}/rapporter"
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    switch.cut()
    failed = client.post(url, data={"csrf_token": token, "reason": "offensive", "text": "Dette er min forklaring"})

    assert failed.status_code == 503
    kept = form_fields(failed.get_data(as_text=True))
    assert kept["text"] == "Dette er min forklaring" and kept["reason"] == "offensive"
    switch.restore()
    assert client.post(url, data=kept).status_code == 303


def test_a_logged_in_visitor_gets_503_not_500_wherever_the_outage_surfaces(outage, make_user):
    """Pages that do not touch the database before the answer is made (a 404, the language
    switch, the API, search) still load the logged-in user: that must give 503, not 500, and
    the answer must not be kept by a cache."""
    other, switch = outage
    citizen = logged_in_client(other, make_user())
    token = csrf_token_from(citizen.get("/").get_data(as_text=True))

    switch.cut()
    answers = [citizen.get("/finnes-ikke"), citizen.get("/api/v1/consultations"), citizen.get("/api/v1/search?q=vei"),
               citizen.get("/sok?q=vei"), citizen.post("/sprak", data={"csrf_token": token, "lang": "en", "next": "/"})]
    for response in answers:
        assert response.status_code == 503, (response.request.path, response.status_code)
        assert int(response.headers["Retry-After"]) > 0
        assert "no-store" in response.headers["Cache-Control"]

    switch.restore()
    assert citizen.get("/finnes-ikke").status_code == 404
    assert "Logg ut" in citizen.get("/").get_data(as_text=True)


@pytest.mark.parametrize("idle_seconds", [0, 3600], ids=["tested-after-rest", "not-tested"])
def test_a_connection_that_died_in_the_pool_is_replaced_after_a_rest(app, make_app, make_consultation, idle_seconds):
    """A pooled connection that rested longer than ``DATABASE_PING_IDLE_SECONDS`` is tested
    before use: a database restart while the site was quiet costs no reader anything. One
    that has not rested that long is used untested: its request fails (503), and the pool
    is renewed for the next one."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a SQLite connection does not die with a server")
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        other = make_app(SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False), PROPAGATE_EXCEPTIONS=False, DATABASE_PING_IDLE_SECONDS=idle_seconds,
            CONTENT_HEAD_MEMO_SECONDS=0)  # every view asks the database
        page = f"/hoeringer/{make_consultation().slug}"
        visitor = other.test_client()
        assert visitor.get(page).status_code == 200  # a connection now rests in the pool
        proxy.cut()  # the server "restarts": the pooled connection is dead, and nobody noticed
        proxy.restore()

        first = visitor.get(page)

        assert first.status_code == (200 if idle_seconds == 0 else 503)
        assert visitor.get(page).status_code == 200
    finally:
        proxy.stop()
