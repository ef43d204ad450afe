"""Searches at a fixed rate while comments are posted at a fixed rate, over HTTP through
gunicorn: every answer must be 200 (a post: 303), and the figures are how many were
answered, how fast, and the bare Flask page's requests per second in the same run.

Usage: .venv/bin/python bench/search_rate.py [--backend postgresql|whoosh] [--searches 100]
       [--posts 20] [--seconds 60]

The app is served by ``bench/gunicorn_bench.py``'s :class:`Server` with its one gunicorn
configuration (two sync workers), beside ``bench/bare_app.py`` measured the same way
before the load. The database is seeded as ``bench/search_under_writes.py`` does (the
Bowling Green Polis conversation from ``../shared/data``, an open consultation, writer
accounts), through the migrations:

* ``--backend postgresql``: the PostgreSQL search backend on a scratch database,
  HOERING_BENCH_DATABASE_URL (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench_http``; created when
  missing, its schema dropped), search documents written in each post's transaction;
* ``--backend whoosh``: SQLite and a Whoosh index in a temporary folder, the web
  processes leaving index tasks to one ``flask hoering index-worker`` process, as
  docs/SEARCH.md says to run several processes.

The load is open-loop: a search (``/api/v1/search`` and, every fourth, the ``/sok`` page,
for words that match hundreds of comments, by relevance or newest) is started every
1/``--searches`` seconds and a post (a logged-in citizen's form, with its CSRF token and a
new submission key) every 1/``--posts`` seconds, whether or not the earlier ones have been
answered (up to 64 at once), so a slow server shows as latency (from the planned start)
and as fewer answers, not as a slower client; a request whose turn came more than
:data:`MAX_LATE` seconds earlier is not sent and is counted as late. Exit code 1 if
anything answered otherwise or was late.

Not a test: the figures go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from gunicorn_bench import BIN, GUNICORN_ARGS, Server, throughput  # noqa: E402
from search import percentile  # noqa: E402  (bench/search.py)
from search_under_writes import CSRF, PASSWORD, POLIS, WORDS, Client  # noqa: E402

from hoering import create_app  # noqa: E402
from hoering.accounts.services import create_user  # noqa: E402
from hoering.consultations.models import Consultation  # noqa: E402
from hoering.database import create_postgresql_database  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.imports.polis import import_polis  # noqa: E402
from hoering.migrating import enable as enable_migrations  # noqa: E402
from hoering.sanitize import markdown_html  # noqa: E402
from hoering.search.services import process_pending  # noqa: E402
from hoering.timeutil import utcnow  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench_http"
WRITERS = 20
#: Seconds a request may wait for its turn to be sent before it is counted as late.
MAX_LATE = 5.0


def scratch_postgresql() -> str:
    """The scratch PostgreSQL database, created when missing, its schema emptied."""
    url = sa.engine.make_url(os.environ.get("HOERING_BENCH_DATABASE_URL", DEFAULT_URL))
    create_postgresql_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url.render_as_string(hide_password=False)


def settings(backend: str, folder: str) -> dict:
    """The app's settings, as ``HOERING_*`` names without the prefix."""
    return {
        "SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "DATABASE_URL": scratch_postgresql() if backend == "postgresql" else f"sqlite:///{folder}/bench.sqlite",
        "SEARCH_BACKEND": backend,
        "SEARCH_INDEX_DIR": os.path.join(folder, "search-index"),
        "SEARCH_INDEX_INLINE": "false",
        "MAIL_DIR": os.path.join(folder, "mail"),
        # Rate limits on, as in production, but far above the planned load.
        **{f"RATELIMIT_{name}": "1000000 per minute" for name in ("COMMENTS", "LOGIN", "LOGIN_ACCOUNT", "API")},
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def seed(config: dict) -> None:
    """The schema by the migrations, the Polis conversation, an open consultation
    (``sentrum``) and the writers' accounts, everything indexed."""
    app = create_app({**{k: v for k, v in config.items() if k != "DATABASE_URL"},
                      "SQLALCHEMY_DATABASE_URI": config["DATABASE_URL"], "SEARCH_INDEX_INLINE": False})
    with app.app_context():
        enable_migrations(current_app)
        upgrade()
        import_polis(POLIS)
        now = utcnow()
        db.session.add(Consultation(
            slug="sentrum", title="Sentrum og parkering", summary="Hva vil du med sentrum?",
            body_markdown="Saken gjelder sentrum.", body_html=markdown_html("Saken gjelder sentrum."),
            opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30),
            published_at=now - dt.timedelta(days=2), language="en"))
        for n in range(WRITERS):
            create_user(f"writer{n}@example.org", f"Skribent {n}", PASSWORD, verified=True).consented_at = now
        db.session.commit()
        process_pending()
        db.session.remove()
        db.engine.dispose()


class Load:
    """Requests started on a schedule and their answers: ``{kind: Counter(status)}`` and
    ``{kind: [seconds from the planned start to the answer]}``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)

    def record(self, kind: str, planned: float, status: int) -> None:
        with self.lock:
            self.statuses[kind][status] += 1
            self.latencies[kind].append(time.monotonic() - planned)


def run(args) -> int:
    folder = tempfile.mkdtemp(prefix="hoering-search-rate-")
    worker = None
    try:
        config = settings(args.backend, folder)
        seed(config)
        with open(os.path.join(POLIS, "comments.csv"), newline="", encoding="utf-8") as handle:
            texts = [row["comment-body"] for row in csv.DictReader(handle) if len(row["comment-body"]) >= 20]
        env = {f"HOERING_{name}": str(value) for name, value in config.items()}
        with Server("bare_app:app") as bare:
            bare_rps = throughput(bare.url + "/", seconds=10)
        if args.backend == "whoosh":
            worker = subprocess.Popen([os.path.join(BIN, "flask"), "--app", "wsgi", "hoering", "index-worker"],
                                      env=dict(os.environ, **env), cwd=ROOT, stdout=subprocess.DEVNULL)
        with Server("wsgi:app", env=env, ready_path="/sok?q=city") as server:
            port = int(server.url.rsplit(":", 1)[1])
            writers = []
            for n in range(WRITERS):
                client = Client(port)
                client.login(f"writer{n}@example.org")
                status, page = client.request("GET", "/hoeringer/sentrum")
                writers.append((client, CSRF.search(page).group(1)))
            load = Load()
            rng = random.Random(7)

            def late(kind: str, planned: float) -> bool:
                """A request whose turn came more than MAX_LATE seconds ago is not sent:
                the server is behind, and it is counted as such."""
                if time.monotonic() - planned > MAX_LATE:
                    with load.lock:
                        load.statuses[kind]["not sent, late"] += 1
                    return True
                return False

            def search(n: int, planned: float) -> None:
                if late("search page" if n % 4 == 0 else "search API", planned):
                    return
                word = urllib.parse.quote(WORDS[n % len(WORDS)])
                sort = "newest" if n % 3 == 0 else "relevance"
                path = f"/sok?q={word}&sort={sort}" if n % 4 == 0 else f"/api/v1/search?q={word}&sort={sort}"
                load.record("search page" if n % 4 == 0 else "search API", planned,
                            Client(port).request("GET", path)[0])

            def post(n: int, planned: float) -> None:
                if late("post comment", planned):
                    return
                client, token = writers[n % WRITERS]
                with client_locks[n % WRITERS]:
                    status, _ = client.request("POST", "/hoeringer/sentrum/kommentarer", {
                        "csrf_token": token, "text": f"{rng.choice(texts)} ({n})", "consent": "1",
                        "submission": secrets.token_urlsafe(24)})
                load.record("post comment", planned, status)

            client_locks = [threading.Lock() for _ in range(WRITERS)]
            plan = sorted([(i / args.searches, 0, i) for i in range(int(args.seconds * args.searches))]
                          + [(i / args.posts, 1, i) for i in range(int(args.seconds * args.posts))])
            started = time.monotonic()
            with ThreadPoolExecutor(64) as pool:
                for offset, kind, n in plan:
                    planned = started + offset
                    time.sleep(max(0.0, planned - time.monotonic()))
                    pool.submit(post if kind else search, n, planned)
            elapsed = time.monotonic() - started
        print(f"{args.backend}: {args.searches} searches/s and {args.posts} posts/s planned for {args.seconds:.0f} s, "
              f"gunicorn {' '.join(GUNICORN_ARGS)}; bare Flask page {bare_rps:.0f} req/s")
        failed = 0
        for kind in sorted(load.statuses):
            answered = load.latencies[kind] or [0.0]
            print(f"  {kind:13} {len(answered) / elapsed:6.1f}/s answered  "
                  + ", ".join(f"{status}: {n}" for status, n in sorted(load.statuses[kind].items(), key=str))
                  + f"   p50 {percentile(answered, 50) * 1000:6.0f} ms  p95 {percentile(answered, 95) * 1000:6.0f} ms")
            good = 303 if kind == "post comment" else 200
            failed += sum(n for status, n in load.statuses[kind].items() if status != good)
        total = sum(len(v) for v in load.latencies.values())
        print(f"  all           {total / elapsed:6.1f}/s answered over {elapsed:.1f} s "
              f"({total / elapsed / bare_rps:.2f} of the bare page's rate)")
        return 1 if failed else 0
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "whoosh"], default="postgresql")
    parser.add_argument("--searches", type=float, default=100)
    parser.add_argument("--posts", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
