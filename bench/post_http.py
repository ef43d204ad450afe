"""Posting comments over HTTP: comments a second beside the bare Flask page, in the same run.

Usage: .venv/bin/python bench/post_http.py [--seconds 20] [--citizens 8] [--jobs rq|inline]

The production set-up of ``make serve`` on this machine: gunicorn with the harness's
configuration (``bench/gunicorn_bench.py``, :data:`GUNICORN_ARGS`) serving ``wsgi:app`` on
a scratch PostgreSQL database (``hoering_bench_post``, created and dropped here;
HOERING_BENCH_DATABASE_URL picks another) with ``SEARCH_BACKEND=postgresql``, jobs in Redis
(database 7 of 127.0.0.1:6379, emptied; HOERING_BENCH_REDIS_URL picks another) and one
``flask hoering worker`` beside it. Rate limits are as high as the tests' (kept in
each server process's memory).

``--citizens`` citizens log in through the login form, read the consultation page once
for its CSRF token, then post comments through the comment form for ``--seconds``
seconds, each with a new form key, without following the redirect (nor keeping the
"thank you" the answer adds to the session, which the next page would show and drop); every other one is a
reply to another citizen's comment (so the worker sends a reply mail). Meanwhile a
checker searches the search page for the newest accepted comment every
:data:`CHECK_EVERY` seconds, and notes how long after the post's answer it sent the
search that found it, and when that search's answer came (the search page waits its turn
at the same two busy server processes). Then:

* comments/second (accepted posts, answered 303, per second of the run), the bare page's
  requests/second measured just before on the same gunicorn configuration, their ratio;
* every accepted comment is in the database exactly once, and nothing else is;
* every accepted comment is found by the search page (after the run), and the checker's
  longest wait during it (under 2 seconds, issue 14);
* the CPU time per accepted comment of the gunicorn workers, the RQ worker and the
  PostgreSQL server processes of the database (``/proc``): on a shared machine a steadier
  figure than the rate, since 2 cores give 2000 ms of CPU a second;
* how long the worker took after the run to deliver every event and send every mail.

Not a test: the figures go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie

import redis
import sqlalchemy as sa

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))
sys.path.insert(0, BENCH)

from flask import current_app  # noqa: E402
from gunicorn_bench import BIN, GUNICORN_ARGS, ROOT, Server, throughput  # noqa: E402

from hoering import create_app  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.migrating import enable as enable_migrations  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench_post"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
PASSWORD = "bench-password-1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SLUG = "veilys-langs-skoleveien"
#: Longest wait from a post's answer until the search page finds it, in seconds (issue 14).
SEARCHABLE_WITHIN = 2.0
#: Seconds between two checks of the checker (its searches load the same servers).
CHECK_EVERY = 0.5


def scratch_database(url: sa.URL, create: bool) -> None:
    """Drop the database ``url`` names, and create it anew with ``create``."""
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        if create:
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


def prepare(settings: dict, citizens: int) -> tuple[list[str], list[int]]:
    """The schema (the migrations), an open consultation, the citizens (verified,
    consented) and one published comment by each. Returns their e-mail addresses and
    the ids of their comments."""
    from flask_migrate import upgrade

    from hoering.accounts.models import User
    from hoering.accounts.services import hash_password
    from hoering.comments.models import Comment
    from hoering.consultations.models import Consultation
    from hoering.timeutil import utcnow

    app = create_app({**settings, "TESTING": True})
    with app.app_context():
        enable_migrations(current_app)
        upgrade()
        now = utcnow()
        consultation = Consultation(slug=SLUG, title="Veilys langs skoleveien", summary="Lys på skoleveien",
                                    body_markdown="Saken gjelder veilys.", body_html="<p>Saken gjelder veilys.</p>",
                                    opens_at=now, closes_at=now.replace(year=now.year + 1), published_at=now)
        db.session.add(consultation)
        users = [User(email=f"innbygger{n}@example.org", display_name=f"Innbygger {n}", role="citizen",
                      password_hash=hash_password(PASSWORD), email_verified_at=now, publication_consent_at=now)
                 for n in range(citizens)]
        db.session.add_all(users)
        db.session.flush()
        seeds = [Comment(consultation_id=consultation.id, author_id=user.id, state="published",
                         body_text=f"Startinnlegg {n}", body_html=f"<p>Startinnlegg {n}</p>", created_at=now,
                         depth=0, path="") for n, user in enumerate(users)]
        db.session.add_all(seeds)
        db.session.flush()
        for seed in seeds:
            seed.thread_id, seed.path = seed.id, f"{seed.id:010d}"
        db.session.commit()
        result = [user.email for user in users], [seed.id for seed in seeds]
        db.session.remove()
        db.engine.dispose()
    return result


class Citizen:
    """One browser: a keep-alive connection (reopened when gunicorn closes it) and cookies."""

    def __init__(self, base_url: str):
        parts = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None,
                keep_cookies: bool = True) -> tuple[int, dict, str]:
        """One request with the cookies so far; ``keep_cookies=False`` ignores those the
        answer sets (a comment's answer adds its "thank you" message to the session, which
        a browser shows, and so drops, on the page it is sent to next)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in (response.headers.get_all("Set-Cookie") or []) if keep_cookies else []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.headers), text

    def login(self, email: str) -> str:
        """Log in through the login form, then read the consultation page; returns its CSRF token."""
        _status, _headers, page = self.request("GET", "/logg-inn")
        status, _headers, _page = self.request("POST", "/logg-inn", {
            "csrf_token": CSRF.search(page).group(1), "email": email, "password": PASSWORD})
        assert status == 303, f"login of {email} answered {status}"
        _status, _headers, page = self.request("GET", f"/hoeringer/{SLUG}")
        return CSRF.search(page).group(1)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes ``pids`` have used so far, in seconds
    (``/proc/<pid>/stat``; a process that is gone counts 0)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def database_pids(url: str) -> list[int]:
    """The PostgreSQL server processes connected to the database of ``url``."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        pids = list(connection.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")).scalars())
    engine.dispose()
    return pids


def post_for(seconds: float, base_url: str, emails: list[str], seeds: list[int], cpu):
    """Every citizen posts for ``seconds``; returns ``(accepted, refused, elapsed, waits,
    cpu)``: ``{comment id: (text, time of the answer)}``, the refused answers' statuses,
    the seconds the posting took, the checker's ``(seconds from a post's answer to the
    sending of the search that found it, to that search's answer)``, and the CPU seconds each kind of process used meanwhile (``cpu()``
    returns their totals so far)."""
    citizens = [Citizen(base_url) for _ in emails]
    tokens = [citizen.login(email) for citizen, email in zip(citizens, emails, strict=True)]
    cpu_before = cpu()
    accepted: dict[int, tuple[str, float]] = {}
    refused: list[int] = []
    newest: list[tuple[int, str, float]] = []
    waits: list[float] = []
    start = time.monotonic()
    stop = start + seconds

    def post(index: int) -> None:
        citizen, n = citizens[index], 0
        while time.monotonic() < stop:
            word = f"merke{index}x{n}"
            form = {"csrf_token": tokens[index], "text": f"Innspill {word}: bedre veilys ved busstoppet",
                    "submission": secrets.token_urlsafe(24)}
            if n % 2:
                form["parent_id"] = str(seeds[(index + 1) % len(seeds)])
            status, headers, _body = citizen.request("POST", f"/hoeringer/{SLUG}/kommentarer", form,
                                                       keep_cookies=False)
            answered = time.monotonic()
            if status == 303:
                comment_id = int(headers["Location"].rsplit("/", 1)[1])
                accepted[comment_id] = (word, answered)
                newest.append((comment_id, word, answered))
            else:
                refused.append(status)
            n += 1

    def check() -> None:
        searcher = Citizen(base_url)
        while time.monotonic() < stop:
            if not newest:
                time.sleep(0.05)
                continue
            comment_id, word, answered = newest[-1]
            while True:
                sent = time.monotonic()
                found = f"/kommentarer/{comment_id}" in searcher.request("GET", f"/sok?q={word}")[2]
                if found or sent - answered > 10:
                    waits.append((sent - answered if found else float("inf"), time.monotonic() - answered))
                    break
                time.sleep(0.05)
            time.sleep(CHECK_EVERY)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(citizens))]
    threads.append(threading.Thread(target=check))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu_after = time.monotonic() - start, cpu()
    return accepted, refused, elapsed, waits, {name: cpu_after[name] - cpu_before[name] for name in cpu_after}


def verify(settings: dict, redis_url: str, accepted: dict, base_url: str) -> None:
    """Check that every accepted comment is in the database once and nothing else is, that
    the search page finds each, and time the worker's catching up."""
    from hoering.comments.models import Comment
    from hoering.eventlog import EventDelivery
    from hoering.notifications.models import OutboxMail

    app = create_app({**settings, "TESTING": True})
    started = time.monotonic()
    with app.app_context():
        client = redis.Redis.from_url(redis_url)
        while True:
            waiting = db.session.scalar(sa.select(sa.func.count(EventDelivery.id)))
            unsent = db.session.scalar(sa.select(sa.func.count(OutboxMail.id)).where(OutboxMail.sent_at.is_(None)))
            queued = client.llen(f"rq:queue:{settings['JOBS_QUEUE']}")
            db.session.rollback()
            if not (waiting or unsent or queued) or time.monotonic() - started > 120:
                break
            time.sleep(0.2)
        print(f"worker caught up {time.monotonic() - started:.1f} s after the run "
              f"(left: {waiting} event deliveries, {unsent} unsent mails, {queued} queued jobs)")
        rows = db.session.execute(sa.select(Comment.id, Comment.body_text).where(Comment.body_text.like("Innspill %")))
        stored = {}
        for comment_id, text in rows:
            stored.setdefault(text.split()[1].rstrip(":"), []).append(comment_id)
        mails = db.session.scalar(sa.select(sa.func.count(OutboxMail.id)).where(OutboxMail.kind == "reply"))
    twice = [word for word, ids in stored.items() if len(ids) > 1]
    lost = [cid for cid, (word, _t) in accepted.items() if stored.get(word) != [cid]]
    extra = len(stored) - len(accepted)
    replies = sum(1 for word, _t in accepted.values() if int(word.rsplit("x", 1)[1]) % 2)
    print(f"database: {len(stored)} comments for {len(accepted)} accepted posts; {len(twice)} stored twice, "
          f"{len(lost)} missing, {extra} not accepted; {mails} reply mails for {replies} replies")

    missing: list[int] = []
    items = list(accepted.items())

    def search(part: list) -> None:
        searcher = Citizen(base_url)
        for comment_id, (word, _answered) in part:
            if f"/kommentarer/{comment_id}" not in searcher.request("GET", f"/sok?q={word}")[2]:
                missing.append(comment_id)

    threads = [threading.Thread(target=search, args=(items[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"search page: {len(items) - len(missing)} of {len(items)} accepted comments found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--citizens", type=int, default=8)
    parser.add_argument("--jobs", choices=["rq", "inline"], default="rq",
                        help="inline: JOBS_BACKEND=inline, the events delivered in the request after its commit "
                             "(as before jobs in Redis), the worker polling the tables")
    args = parser.parse_args()
    database = sa.engine.make_url(os.environ.get("HOERING_BENCH_DATABASE_URL", DEFAULT_DATABASE))
    redis_url = os.environ.get("HOERING_BENCH_REDIS_URL", DEFAULT_REDIS)
    scratch_database(database, create=True)
    redis.Redis.from_url(redis_url).flushdb()
    folder = tempfile.mkdtemp(prefix="hoering-bench-post-")
    settings = {"SQLALCHEMY_DATABASE_URI": database.render_as_string(hide_password=False), "REDIS_URL": redis_url,
                "SEARCH_BACKEND": "postgresql", "JOBS_QUEUE": "bench", "JOBS_BACKEND": args.jobs,
                **{f"RATELIMIT_{name}": "1000000 per minute" for name in ("COMMENTS", "LOGIN", "LOGIN_ACCOUNT", "API")},
                "SEARCH_INDEX_INLINE": False, "MAIL_SWEEP_SECONDS": 0, "EVENT_SWEEP_SECONDS": 0,
                "MAIL_DIR": os.path.join(folder, "mail"), "SEARCH_INDEX_DIR": os.path.join(folder, "index"),
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SECRET_KEY": "bench-secret-key-0123456789abcdef"}
    env = {f"HOERING_{'DATABASE_URL' if key == 'SQLALCHEMY_DATABASE_URI' else key}": str(value).lower()
           if isinstance(value, bool) else str(value) for key, value in settings.items()}
    worker = None
    try:
        emails, seeds = prepare(settings, args.citizens)
        worker = subprocess.Popen([os.path.join(BIN, "flask"), "--app", "wsgi", "hoering", "worker"], cwd=ROOT,
                                  env=dict(os.environ, **env))
        with Server("bare_app:app") as bare:
            bare_rps = throughput(bare.url + "/", seconds=args.seconds)
        with Server("wsgi:app", env=env, ready_path="/healthz") as server:
            accepted, refused, elapsed, waits, cpu = post_for(
                args.seconds, server.url, emails, seeds,
                lambda: {"web": cpu_seconds(server.worker_pids()), "worker": cpu_seconds([worker.pid]),
                         "postgresql": cpu_seconds(database_pids(settings["SQLALCHEMY_DATABASE_URI"]))})
            rate = len(accepted) / elapsed
            print(f"{args.citizens} citizens posting for {elapsed:.1f} s on PostgreSQL, SEARCH_BACKEND=postgresql, "
                  f"JOBS_BACKEND={args.jobs}, gunicorn {' '.join(GUNICORN_ARGS)}")
            print(f"posting: {rate:.1f} comments/s ({len(accepted)} accepted, {len(refused)} refused "
                  f"{sorted(set(refused))}), bare Flask page {bare_rps:.1f} req/s, ratio {rate / bare_rps:.4f}")
            print("CPU per comment: " + ", ".join(f"{name} {seconds / len(accepted) * 1000:.1f} ms"
                                                 for name, seconds in cpu.items())
                  + f"; total {sum(cpu.values()) / len(accepted) * 1000:.1f} ms")
            if waits:
                lag, answer = max(wait for wait, _answer in waits), max(answer for _wait, answer in waits)
                print(f"search page: the newest comment was found by a search sent at most {lag:.2f} s after "
                      f"its post's answer ({'within' if lag < SEARCHABLE_WITHIN else 'NOT within'} "
                      f"{SEARCHABLE_WITHIN:.0f} s), whose answer came at most {answer:.2f} s after it "
                      f"({len(waits)} checks)")
            verify(settings, redis_url, accepted, server.url)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        redis.Redis.from_url(redis_url).flushdb()
        scratch_database(database, create=False)
        subprocess.run(["rm", "-rf", folder], check=False)


if __name__ == "__main__":
    main()
