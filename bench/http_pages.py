"""Requests per second of the consultation page and the comments API for a consultation of
10,000 comments, each as a ratio to a bare Flask page (``bench/bare_app.py``) measured just
before it by the same gunicorn configuration in the same run (``bench/gunicorn_bench.py``).

Usage: .venv/bin/python bench/http_pages.py [--comments 10000] [--seconds 10] [--postgresql] [--redis URL]
       [--cached-only] [--open]

Builds the consultation of ``bench/export.py`` (comments made from the real Polis comments
in ../shared/data, a third of them replies, some hidden, rejected or pending, three themes,
a published summary; closed, or with ``--open`` open, its page then with the forms and
support buttons) in a SQLite file in a temporary folder, or with ``--postgresql`` in a
scratch database ``hoering_bench_pages`` on HOERING_BENCH_POSTGRES (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), created and dropped (another
name with HOERING_BENCH_SCRATCH, so that two runs on one server do not drop each other's). Then serves
it with gunicorn (``wsgi:app``) twice, with the page cache (in-process, or Redis with
``--redis``) and with ``PAGE_CACHE_SECONDS=0``, and loads with ``wrk``: the anonymous page,
the page for a citizen logged in through the login form (their session cookie), the API's
first page of threads, and its revalidation with ``If-None-Match`` (304). It also prints the
SQL queries of each view, counted in-process on the same database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import sys
import tempfile
import urllib.parse

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench.export import build  # noqa: E402
from bench.gunicorn_bench import Server, get, ratio_line, throughput  # noqa: E402
from hoering import create_app  # noqa: E402
from hoering.accounts.services import create_user  # noqa: E402
from hoering.consultations.models import Consultation  # noqa: E402
from hoering.extensions import db  # noqa: E402

READER = ("leser@example.org", "Lese Leser", "bench-password-123")
SCRATCH = os.environ.get("HOERING_BENCH_SCRATCH", "hoering_bench_pages")


def scratch_postgresql(server_url: str) -> str:
    """Create the scratch database (dropped first if left over); return its URL."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {SCRATCH}"))
    engine.dispose()
    return sa.make_url(server_url).set(database=SCRATCH).render_as_string(hide_password=False)


def drop_postgresql(server_url: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
    engine.dispose()


def prepare(url: str, folder: str, count: int, open_until: dt.datetime | None = None) -> tuple[str, dict]:
    """Build the consultation and the reader in ``url``; return the slug and the settings
    of the served app (environment variables). With ``open_until`` (aware UTC), the
    consultation's deadline is moved there, so that its page has the comment form and
    each comment its support button and reply form (the logged-in reader's own parts)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "SEARCH_INDEX_DIR": os.path.join(folder, "search-index")})
    with app.app_context():
        db.drop_all()
        db.create_all()
        slug = build(count)
        if open_until is not None:
            db.session.execute(sa.update(Consultation).where(Consultation.slug == slug).values(closes_at=open_until))
            db.session.commit()
        create_user(READER[0], READER[1], READER[2], "citizen", verified=True)
        db.engine.dispose()
    env = {"HOERING_DATABASE_URL": url, "HOERING_SECRET_KEY": "bench-secret-key-0123456789abcdef",
           "HOERING_SEARCH_INDEX_DIR": os.path.join(folder, "search-index"),
           # The API limit stays on, as in production, but high enough for the load, and
           # counted in fixed windows: a moving window keeps every hit of the minute in a
           # list, which at a benchmark's rate from one address costs more than the page.
           "HOERING_RATELIMIT_API": "100000000 per minute", "HOERING_RATELIMIT_STRATEGY": "fixed-window",
           "HOERING_MAIL_DIR": os.path.join(folder, "mail")}
    return slug, env


def queries_per_view(url: str, folder: str, env: dict, paths: list[tuple[str, str, bool]]) -> list[str]:
    """Lines naming the SQL statements of each view (``(name, path, logged_in)``), counted
    in-process on the database of the benchmark: the view after a change (nothing cached),
    then the same view again."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["HOERING_SECRET_KEY"],
                      "SEARCH_INDEX_DIR": env["HOERING_SEARCH_INDEX_DIR"]})
    anonymous, reader = app.test_client(), app.test_client()
    log_in(lambda path: _client_get(reader, path), lambda path, data, cookie: reader.post(path, data=data))
    reader.get("/")  # shows the login's flash message, as a browser does on the page after the login
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    lines = []
    for name, path, logged_in in paths:
        client = reader if logged_in else anonymous
        counts = []
        for _round in range(2):
            statements.clear()
            assert client.get(path).status_code == 200
            counts.append(len(statements))
        aggregates = [s for s in statements if re.search(r"\b(count|max)\(", s, re.I)]
        lines.append(f"  {name}: {counts[0]} queries when nothing is cached, then {counts[1]} "
                     f"({len(aggregates)} with count/max)")
    engine.dispose()
    return lines


def _client_get(client, path: str) -> tuple[str, str]:
    response = client.get(path)
    return response.get_data(as_text=True), ""


def log_in(get, post) -> str:
    """Log the reader in through the login form; return the session cookie (``name=value``)."""
    page, cookie = get("/logg-inn")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return post("/logg-inn", {"csrf_token": token, "email": READER[0], "password": READER[2]}, cookie)


def http_login(base: str) -> str:
    """The cookies (a ``Cookie`` header) of the reader logged in through the served app's
    login form, after one page has shown the login's flash message."""
    parts = urllib.parse.urlsplit(base)
    jar: dict[str, str] = {}

    def request(method: str, path: str, body: str | None = None) -> str:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _eq, value = header.split(";", 1)[0].partition("=")
            jar[name.strip()] = value
        connection.close()
        return text

    def post(path: str, data: dict, _cookie: str) -> str:
        request("POST", path, urllib.parse.urlencode(data))
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    log_in(lambda path: (request("GET", path), ""), post)
    # The page after the login shows its flash message and drops it from the session
    # cookie: without this, every loaded request would carry the message.
    request("GET", "/")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def etag_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.getheader("ETag")


def measure(env: dict, slug: str, seconds: float, label: str, connections: int = 8) -> list[str]:
    """Load each page of the served app, each right after the bare page (both with
    ``connections`` concurrent clients); return the lines."""
    lines = [f"{label}:"]
    print(lines[0], flush=True)
    page, api = f"/hoeringer/{slug}", f"/api/v1/consultations/{slug}/comments"
    with Server("wsgi:app", env=env, ready_path="/healthz") as app_server, Server("bare_app:app") as bare:
        cookie = http_login(app_server.url)
        status, body = get(app_server.url + page, {"Cookie": cookie})
        if "/logg-ut" not in body.decode():
            raise RuntimeError("the reader's session cookie does not log them in")
        etag = etag_of(app_server.url + api)
        loads = [("anonymous page", page, {}), ("logged-in page", page, {"Cookie": cookie}),
                 ("API, first page of threads", api, {}),
                 ("API revalidation (304)", api, {"If-None-Match": etag})]
        for name, path, headers in loads:
            bare_rps = throughput(bare.url + "/", seconds=seconds, connections=connections)
            try:
                app_rps = throughput(app_server.url + path, seconds=seconds, connections=connections,
                                     headers=headers)
            except RuntimeError as error:  # answers slower than wrk's 2-second timeout
                lines.append(f"  {name}: no figure, {str(error).splitlines()[0]} (timeouts or errors)")
                print(lines[-1], flush=True)
                continue
            lines.append("  " + ratio_line(name, app_rps, bare_rps))
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--redis", default="", help="REDIS_URL of a shared cache, e.g. redis://127.0.0.1:6379/15")
    parser.add_argument("--cached-only", action="store_true", help="skip the runs without the page cache")
    parser.add_argument("--open", action="store_true",
                        help="an open consultation (forms and support buttons on the page), not a closed one")
    args = parser.parse_args()
    server = os.environ.get("HOERING_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as folder:
        url = scratch_postgresql(server) if args.postgresql else f"sqlite:///{folder}/bench.sqlite"
        try:
            open_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=30) if args.open else None
            slug, env = prepare(url, folder, args.comments, open_until)
            database = "PostgreSQL" if args.postgresql else "SQLite"
            state = "open" if args.open else "closed"
            print(f"{args.comments} comments, {database}, {state}; gunicorn {' '.join(Server('x').args)}", flush=True)
            page, api = f"/hoeringer/{slug}", f"/api/v1/consultations/{slug}/comments"
            print("SQL per view (in-process):")
            for line in queries_per_view(url, folder, env, [("anonymous page", page, False),
                                                            ("logged-in page", page, True),
                                                            ("API page of threads", api, False)]):
                print(line, flush=True)
            cached = dict(env, HOERING_REDIS_URL=args.redis) if args.redis else env
            measure(cached, slug, args.seconds, "with the page cache" + (f" in Redis ({args.redis})"
                                                                        if args.redis else " (in-process)"))
            if args.cached_only:
                return
            # Two clients: pages of a second or more would time out in wrk with eight.
            measure(dict(env, HOERING_PAGE_CACHE_SECONDS="0"), slug, args.seconds,
                    "without the page cache (2 clients, the bare page too)", connections=2)
        finally:
            if args.postgresql:
                drop_postgresql(server)


if __name__ == "__main__":
    main()
