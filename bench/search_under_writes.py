"""Search while comments are being written: every search must answer 200 (or 503 with
Retry-After), never 500.

Usage: .venv/bin/python bench/search_under_writes.py [--seconds 90] [--servers 3]
       [--threads 4] [--writers 3] [--readers 6] [--inline]

Runs the app as production does with several web processes: ``--servers`` processes, each
serving requests from a pool of ``--threads`` threads (like gunicorn's gthread workers, so
each thread keeps its searcher between requests), and one index worker process applying
the index tasks as ``flask hoering index-worker`` does (``--inline``: no worker, each web
process applies its own tasks after the request, the single-process default). The database
is a fresh SQLite file (or ``HOERING_BENCH_DATABASE_URL``, whose tables are dropped), the
index a fresh folder, seeded with the Bowling Green Polis conversation from
``../shared/data``.

Over real HTTP, ``--writers`` citizens post comments (texts from the same conversation)
as fast as the site takes them while ``--readers`` threads search the page (``/sok``) and
the API (``/api/v1/search``) for words that match hundreds of documents. At the end the
statuses are counted per kind of request, and the tracebacks the web processes logged
are printed. Exit code 1 if any search answered something other than 200 or 503.

Not a test: the regression test is ``tests/search/test_search_under_writes.py``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import http.client
import logging
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from werkzeug.serving import BaseWSGIServer  # noqa: E402

from hoering import create_app  # noqa: E402
from hoering.accounts.services import create_user  # noqa: E402
from hoering.consultations.models import Consultation  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.imports.polis import import_polis  # noqa: E402
from hoering.sanitize import markdown_html  # noqa: E402
from hoering.search.services import process_pending  # noqa: E402
from hoering.timeutil import utcnow  # noqa: E402

POLIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "polis",
                     "american-assembly.bowling-green")
#: Words that each match a large share of the conversation.
WORDS = ["bowling green", "city", "downtown", "people", "students", "parking", "community", "more"]
PASSWORD = "bench-password-1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def config(folder: str, inline: bool) -> dict:
    """The web processes' settings: a real (non-testing) app, so errors go through the
    error handlers and are logged as in production."""
    return {
        "SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("HOERING_BENCH_DATABASE_URL",
                                                  f"sqlite:///{folder}/bench.sqlite"),
        "SEARCH_INDEX_DIR": os.path.join(folder, "search-index"),
        "SEARCH_INDEX_INLINE": inline,
        "MAIL_DIR": os.path.join(folder, "mail"),
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def seed(settings: dict, writers: int) -> str:
    """Fresh tables, the Polis conversation indexed, an open consultation and the writers'
    accounts; returns the open consultation's slug."""
    app = create_app(settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
        import_polis(POLIS)
        now = utcnow()
        consultation = Consultation(
            slug="sentrum", title="Sentrum og parkering", summary="Hva vil du med sentrum?",
            body_markdown="Saken gjelder sentrum.", body_html=markdown_html("Saken gjelder sentrum."),
            opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30),
            published_at=now - dt.timedelta(days=2), language="en")
        db.session.add(consultation)
        db.session.commit()
        for n in range(writers):
            user = create_user(f"writer{n}@example.org", f"Skribent {n}", PASSWORD, verified=True)
            user.consented_at = now
        db.session.commit()
        process_pending()
    return "sentrum"


class PooledServer(BaseWSGIServer):
    """Werkzeug's server answering from a fixed pool of threads, as gunicorn's threaded
    workers do (a thread lives on and keeps its searcher for the next request)."""

    def __init__(self, host: str, port: int, app, threads: int):
        super().__init__(host, port, app)
        self.pool = ThreadPoolExecutor(threads)

    def process_request(self, request, client_address):
        self.pool.submit(self._answer, request, client_address)

    def _answer(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - the server's own handler logs it
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def serve(settings: dict, threads: int, ports, log_path: str) -> None:
    """One web process (run in a child process): reports its port, then serves forever."""
    logging.basicConfig(filename=log_path, level=logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(settings)
    server = PooledServer("127.0.0.1", 0, app, threads)
    ports.put(server.server_port)
    server.serve_forever()


def index_worker(settings: dict, log_path: str) -> None:
    """The index worker (run in a child process), as ``flask hoering index-worker`` with a
    short interval."""
    logging.basicConfig(filename=log_path, level=logging.ERROR)
    app = create_app(settings)
    with app.app_context():
        while True:
            try:
                process_pending()
            except Exception:  # noqa: BLE001 - logged and counted like a web process's error
                logging.exception("index worker")
            db.session.remove()
            time.sleep(0.05)


class Client:
    """An HTTP client with cookies, for one thread, that follows no redirects."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
            if response.status == 503 and not response.headers.get("Retry-After"):
                return -503, text  # a 503 without Retry-After counts as a failure
            return response.status, text
        finally:
            connection.close()

    def login(self, email: str) -> None:
        _, page = self.request("GET", "/logg-inn")
        status, _ = self.request("POST", "/logg-inn", {"csrf_token": CSRF.search(page).group(1), "email": email,
                                                       "password": PASSWORD})
        assert status in (302, 303), f"login answered {status}"


def run(args) -> int:
    folder = tempfile.mkdtemp(prefix="hoering-search-writes-")
    try:
        settings = config(folder, args.inline)
        slug = seed(settings, args.writers)
        with open(os.path.join(POLIS, "comments.csv"), newline="", encoding="utf-8") as handle:
            texts = [row["comment-body"] for row in csv.DictReader(handle) if len(row["comment-body"]) >= 20]
        context = multiprocessing.get_context("spawn")
        ports = context.Queue()
        logs = [os.path.join(folder, f"server-{n}.log") for n in range(args.servers)]
        children = [context.Process(target=serve, args=(settings, args.threads, ports, log), daemon=True)
                    for log in logs]
        if not args.inline:
            logs.append(os.path.join(folder, "index-worker.log"))
            children.append(context.Process(target=index_worker, args=(settings, logs[-1]), daemon=True))
        for child in children:
            child.start()
        server_ports = [ports.get(timeout=120) for _ in range(args.servers)]
        statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def count(kind: str, status: int) -> None:
            with lock:
                statuses[kind][status] += 1

        def writer(n: int) -> None:
            rng = random.Random(n)
            client = Client(server_ports[n % len(server_ports)])
            client.login(f"writer{n}@example.org")
            while time.monotonic() < stop:
                client.port = rng.choice(server_ports)
                status, page = client.request("GET", f"/hoeringer/{slug}")
                match = CSRF.search(page)
                if status != 200 or not match:
                    count("consultation page", status)
                    continue
                status, _ = client.request("POST", f"/hoeringer/{slug}/kommentarer", {
                    "csrf_token": match.group(1), "text": rng.choice(texts), "consent": "1"})
                count("post comment", status)

        def reader(n: int) -> None:
            rng = random.Random(1000 + n)
            while time.monotonic() < stop:
                client = Client(rng.choice(server_ports))
                word = urllib.parse.quote(rng.choice(WORDS))
                if n % 2:
                    count("search API", client.request("GET", f"/api/v1/search?q={word}")[0])
                else:
                    count("search page", client.request("GET", f"/sok?q={word}&sort=newest")[0])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(args.readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for child in children:
            child.terminate()
            child.join()

        print(f"{args.seconds} s, {args.servers} web processes x {args.threads} threads, "
              f"{'indexing inline' if args.inline else 'one index worker'}, {args.writers} writers, "
              f"{args.readers} readers")
        failed = 0
        for kind in sorted(statuses):
            print(f"  {kind:18} " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses[kind].items())))
            if kind.startswith("search"):
                failed += sum(n for status, n in statuses[kind].items() if status not in (200, 503))
        print_tracebacks(logs)
        return 1 if failed else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def print_tracebacks(logs: list[str]) -> None:
    """Print each distinct traceback the processes logged (by its last line), once."""
    seen: dict[str, tuple[int, str]] = {}
    for log in logs:
        if not os.path.exists(log):
            continue
        with open(log, encoding="utf-8", errors="replace") as handle:
            for block in re.split(r"\n(?=ERROR:)", handle.read()):
                lines = [line for line in block.strip().splitlines() if line.strip()]
                if not lines:
                    continue
                key = lines[-1]
                times, first = seen.get(key, (0, block))
                seen[key] = (times + 1, first)
    for key, (times, block) in seen.items():
        print(f"\n--- logged {times} times: {key}\n{block.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--inline", action="store_true", help="no index worker: each web process indexes")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
