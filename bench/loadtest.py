"""Load and faults against the production set-up: is every comment kept, once, under fire?

Usage: .venv/bin/python bench/loadtest.py [--posts 500] [--concurrency N] [--no-faults] [--small]
(``make loadtest``; docs/LOADTEST.md says what it does and how to read it)

Starts a PostgreSQL cluster and a Redis server of its own (``bench/loadservices.py``; the
machine's shared ones are never touched), makes the schema with ``flask db upgrade``, one
open consultation and citizens, then serves the app as ``make serve`` does: two gunicorn
workers and ``flask hoering worker``, with ``SEARCH_BACKEND=postgresql`` and Redis for rate
limits. Citizens log in through the login form; each post is the real comment form of the
consultation page (its CSRF token, its submission key) with a unique text. All posts are
sent at once (``--concurrency`` at a time, default all of them), searches run meanwhile, and
during the burst one gunicorn worker is killed (SIGKILL), PostgreSQL is restarted
(``pg_ctl restart -m fast``) and Redis is restarted.

Each post is answered by one of:

* a redirect (303) to the stored comment: *accepted*;
* 503 whose page gives the text back in a form: *refused*, sent again from that form (as a
  citizen would) once the faults are over, and then to be accepted;
* a broken connection (the killed worker): sent again with the same form, the same
  submission key, up to 20 times. Whether the first sending was stored is unknown to the
  client; the submission key settles it on the server (the same form stores one comment).

Afterwards every text must be stored exactly once under the id its redirect named, and be
found by the search API; no answer may be a 500. A summary is printed; the exit status is 1
when anything was violated, 2 when the set-up failed.
"""

from __future__ import annotations

import argparse
import collections
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path[:0] = [ROOT, BENCH]

from gunicorn_bench import GUNICORN_ARGS, Server  # noqa: E402
from loadclient import CONNECTION_ERRORS, CSRF, Client, kept_form  # noqa: E402
from loadservices import Postgres, Redis, missing_programs  # noqa: E402

FLASK = os.path.join(ROOT, ".venv", "bin", "flask")
PASSWORD = "loadtest-password-1"
SLUG = "sykkelveier-i-sentrum"
#: Share of the posts answered before each fault is set off.
FAULT_AT = {"kill-worker": 0.10, "restart-postgresql": 0.35, "restart-redis": 0.60}
RETRIES = 20


class Run:
    """What the load test saw: counts, the answer to each post, and the violations."""

    def __init__(self, posts: int) -> None:
        self.lock = threading.Lock()
        self.answered = 0
        self.total = posts
        self.counts: collections.Counter = collections.Counter()
        self.browse_statuses: collections.Counter = collections.Counter()
        self.violations: list[str] = []
        self.accepted: dict[str, int] = {}  # text -> comment id
        self.refused: dict[str, tuple] = {}  # text -> (citizen, kept form)
        self.faults: list[str] = []

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def violation(self, message: str) -> None:
        with self.lock:
            self.violations.append(message)


def app_env(postgres: Postgres, redis: Redis, folder: str) -> dict:
    """The environment of the servers and commands: ``make serve``'s settings on the
    private services, limits raised so that the burst itself is not limited."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOERING_")}
    limit = "1000000 per minute"
    env.update({
        "HOERING_DATABASE_URL": postgres.url(), "HOERING_REDIS_URL": redis.url,
        "HOERING_RATELIMIT_STORAGE_URI": redis.url, "HOERING_SEARCH_BACKEND": "postgresql",
        "HOERING_SEARCH_INDEX_INLINE": "false", "HOERING_MAIL_SWEEP_SECONDS": "0",
        "HOERING_SECRET_KEY": secrets.token_hex(32), "HOERING_SEARCH_INDEX_DIR": os.path.join(folder, "index"),
        "HOERING_MAIL_DIR": os.path.join(folder, "mail"), "HOERING_DOCUMENT_DIR": os.path.join(folder, "documents"),
        "HOERING_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **{f"HOERING_RATELIMIT_{name}": limit for name in ("COMMENTS", "LOGIN", "API", "SUPPORTS")},
        "HOERING_RATELIMIT_LOGIN_ACCOUNT": limit, "PYTHONPATH": ROOT, "FLASK_APP": "wsgi",
    })
    return env


def flask(env: dict, *args: str) -> str:
    """Run ``flask --app wsgi <args>`` in the project; its output.

    Raises:
        RuntimeError: the command failed (its output is in the message).
    """
    done = subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


SEED = """
import datetime as dt, json, sys
from hoering import create_app
from hoering.accounts.services import create_user
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.sanitize import markdown_html
from hoering.timeutil import utcnow
app = create_app()
with app.app_context():
    now = utcnow()
    body = "Kommunen vil bygge flere sykkelveier i sentrum. Hva mener du?"
    consultation = Consultation(slug=sys.argv[1], title="Sykkelveier i sentrum", summary=body, body_markdown=body,
                                body_html=markdown_html(body), opens_at=now - dt.timedelta(days=1),
                                closes_at=now + dt.timedelta(days=30), published_at=now - dt.timedelta(days=1))
    db.session.add(consultation)
    db.session.commit()
    emails = []
    for n in range(int(sys.argv[2])):
        user = create_user(f"innbygger{n}@example.org", f"Innbygger {n}", sys.argv[3], verified=True)
        user.publication_consent_at = now
        emails.append(user.email)
    db.session.commit()
    print(json.dumps({"consultation": consultation.id, "emails": emails}))
"""


def seed(env: dict, citizens: int) -> tuple[int, list[str]]:
    """One open consultation and ``citizens`` verified citizens who have consented to
    publication; their id and e-mail addresses."""
    import json

    done = subprocess.run([sys.executable, "-c", SEED, SLUG, str(citizens), PASSWORD], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"seeding failed:\n{done.stderr}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return data["consultation"], data["emails"]


def send(run: Run, citizen: Client, action: str, fields: dict, text: str, label: str = "accepted") -> None:
    """Post one comment and record the answer (an acceptance counted under ``label``); a
    broken connection is sent again with the same fields (the same submission key)."""
    for attempt in range(RETRIES):
        try:
            answer = citizen.request("POST", action, {**fields, "text": text})
            break
        except CONNECTION_ERRORS:
            run.count("connection errors (sent again)")
            time.sleep(0.5 * (attempt + 1))
    else:
        run.violation(f"no answer after {RETRIES} attempts: {text!r}")
        return
    location = answer.headers.get("location", "")
    if answer.status == 303 and "/kommentarer/" in location:
        with run.lock:
            run.accepted[text] = int(location.rstrip("/").rsplit("/", 1)[1])
        run.count(label)
    elif answer.status == 503:
        kept = kept_form(answer.body)
        if kept is None or kept[1] != text:
            run.violation(f"503 without the text in a form: {text!r}")
        else:
            with run.lock:
                run.refused[text] = (citizen, kept[0])
        run.count("refused with 503, text kept" if kept and kept[1] == text else "refused with 503, text lost")
    else:
        run.violation(f"{answer.status} for a post ({text!r}): {answer.body[:300]!r}")
        run.count(f"answered {answer.status}")


def browse_meanwhile(run: Run, base: str, stop: threading.Event, email: str) -> None:
    """Search the site and the API, and now and then log in afresh (the login counts its
    attempts in Redis), until ``stop``; record every status (500 is a violation)."""
    paths = ["login", "/sok?q=sykkelvei", "/api/v1/search?q=sentrum", "/sok?q=innspill+sykkel&sort=newest"]
    n = 0
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        client = Client(base)
        try:
            if path == "login":
                page = client.request("GET", "/logg-inn")
                token = CSRF.search(page.body)
                status = page.status if token is None else client.request(
                    "POST", "/logg-inn", {"csrf_token": token.group(1), "email": email, "password": PASSWORD}).status
            else:
                status = client.request("GET", path).status
        except CONNECTION_ERRORS:
            status = "connection error"
        with run.lock:
            run.browse_statuses[f"{'login' if path == 'login' else 'search'} {status}"] += 1
        if status == 500:
            run.violation(f"500 for {path}")
        time.sleep(0.05)


def set_off_faults(run: Run, server: Server, postgres: Postgres, redis: Redis, stop: threading.Event) -> None:
    """Kill a worker, restart PostgreSQL and Redis when the share of answered posts passes
    :data:`FAULT_AT`; whatever has not happened when the burst ends happens then."""
    started = time.monotonic()
    actions = {"kill-worker": lambda: kill_a_worker(server), "restart-postgresql": postgres.restart,
               "restart-redis": redis.restart}
    for name, share in FAULT_AT.items():
        while not stop.is_set() and run.answered < share * run.total:
            time.sleep(0.02)
        at = time.monotonic() - started
        try:
            actions[name]()
        except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
            run.violation(f"{name} failed: {error}")
            continue
        run.faults.append(f"{name} at {at:.1f} s, after {run.answered} of {run.total} answers"
                          f" (took {time.monotonic() - started - at:.1f} s)")


def kill_a_worker(server: Server) -> None:
    """SIGKILL one gunicorn worker (waiting up to 10 seconds for one to be running).

    Raises:
        RuntimeError: no worker runs.
    """
    deadline = time.monotonic() + 10
    while not (pids := server.worker_pids()):
        if time.monotonic() > deadline:
            raise RuntimeError("no gunicorn worker to kill")
        time.sleep(0.1)
    os.kill(pids[0], signal.SIGKILL)


def burst(run: Run, base: str, citizens: list[Client], emails: list[str], concurrency: int, server: Server | None,
          postgres: Postgres, redis: Redis) -> float:
    """Prepare one form per post, then send them all at once with faults and searches; the
    seconds the burst took."""
    token = secrets.token_hex(3)
    with ThreadPoolExecutor(8) as pool:
        forms = list(pool.map(lambda n: citizens[n % len(citizens)].comment_form(SLUG), range(run.total)))
    texts = [f"Innspill {n} om sykkelveier i sentrum: trygg vei til skolen, kode lt{token}n{n:05d}."
             for n in range(run.total)]
    posted, browsed = threading.Event(), threading.Event()
    browsers = [threading.Thread(target=browse_meanwhile, args=(run, base, browsed, email)) for email in emails[:2]]
    faults = threading.Thread(target=set_off_faults, args=(run, server, postgres, redis, posted))
    for helper in browsers + ([faults] if server is not None else []):
        helper.start()

    def one(n: int) -> None:
        send(run, citizens[n % len(citizens)], forms[n].action, forms[n].fields, texts[n], "accepted at once")
        with run.lock:
            run.answered += 1

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(run.total)))
    took = time.monotonic() - started
    posted.set()
    if server is not None:
        faults.join()  # a fault that has not happened yet happens now, with the searches still going
    time.sleep(1)
    browsed.set()
    for helper in browsers:
        helper.join()
    return took


def send_refused_again(run: Run) -> None:
    """Send each refused comment again from the form its 503 page gave back, as a citizen
    would once the site is back; it must then be accepted."""
    refused, run.refused = dict(run.refused), {}
    for text, (citizen, form) in refused.items():
        send(run, citizen, form.action, form.fields, text, "accepted when sent again from the 503 page")
    if run.refused:
        run.violation(f"{len(run.refused)} comments refused again after the faults were over")


def verify(run: Run, base: str, env: dict, consultation_id: int) -> None:
    """Every text stored exactly once, under the id its redirect named, and found by search."""
    import json

    query = ("import json, sys\nimport sqlalchemy as sa\nfrom hoering import create_app\nfrom hoering.extensions import db\n"
             "app = create_app()\nwith app.app_context():\n"
             "    rows = db.session.execute(sa.text('SELECT id, body_text FROM comment WHERE consultation_id = :c'),"
             " {'c': int(sys.argv[1])}).all()\n    print(json.dumps([list(r) for r in rows]))\n")
    done = subprocess.run([sys.executable, "-c", query, str(consultation_id)], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    stored = collections.defaultdict(list)
    for comment_id, text in rows:
        stored[text].append(comment_id)
    for text, comment_id in run.accepted.items():
        if stored.get(text) != [comment_id]:
            run.violation(f"{text!r} accepted as {comment_id}, stored as {stored.get(text)}")
    strays = set(stored) - set(run.accepted)
    if strays:
        run.violation(f"{len(strays)} comments stored that no answer accepted, e.g. {sorted(strays)[0]!r}")
    run.count("stored exactly once", sum(1 for text, i in run.accepted.items() if stored.get(text) == [i]))

    client = Client(base)

    def found(item: tuple[str, int]) -> bool:
        text, comment_id = item
        code = text.rsplit(" ", 1)[1].rstrip(".")
        try:
            answer = client.request("GET", f"/api/v1/search?type=comment&consultation={consultation_id}&q="
                                    + urllib.parse.quote(code))
        except CONNECTION_ERRORS as error:
            run.violation(f"search for {code}: {type(error).__name__}")
            return False
        if answer.status != 200:
            run.violation(f"search for {code} answered {answer.status}")
            return False
        return [hit["id"] for hit in json.loads(answer.body)["results"]] == [comment_id]

    with ThreadPoolExecutor(4) as pool:
        hits = list(pool.map(found, run.accepted.items()))
    run.count("found by search", sum(hits))
    if not all(hits):
        run.violation(f"{hits.count(False)} accepted comments not found (alone) by searching their code")


def check_health(run: Run, base: str, seconds: float = 30.0) -> None:
    """``/healthz`` must answer 200, and the background worker must have done the work
    that is due (domain events, index tasks, mail) within ``seconds``."""
    import json

    deadline = time.monotonic() + seconds
    while True:
        health = Client(base).request("GET", "/healthz")
        if health.status != 200:
            run.violation(f"/healthz answered {health.status} after the load: {health.body[:300]}")
            return
        work = json.loads(health.body)["work"]
        left = {name: work[name]["waiting"] for name in ("events", "index_tasks", "mail")}
        if not any(left.values()):
            return
        if time.monotonic() > deadline:
            run.violation(f"work still waiting {seconds:.0f} s after the load: {left}")
            return
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500, help="comments in the burst (default 500)")
    parser.add_argument("--concurrency", type=int, help="posts sent at the same time (default: all of them)")
    parser.add_argument("--citizens", type=int, help="accounts the posts are shared among (default posts / 10)")
    parser.add_argument("--no-faults", action="store_true", help="the burst without killing or restarting anything")
    parser.add_argument("--small", action="store_true", help="the CI form: 100 posts, all faults")
    args = parser.parse_args()
    posts = 100 if args.small else args.posts
    concurrency = args.concurrency or posts
    missing = missing_programs()
    if missing:
        print(f"cannot run: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    run = Run(posts)
    folder = tempfile.mkdtemp(prefix="hoering-loadtest-")
    postgres, redis = Postgres(), Redis(folder)
    worker = None
    started = time.monotonic()
    try:
        postgres.start()
        redis.start()
        env = app_env(postgres, redis, folder)
        flask(env, "hoering", "create-database")
        flask(env, "db", "upgrade")
        consultation_id, emails = seed(env, args.citizens or max(1, posts // 10))
        with open(os.path.join(folder, "worker.log"), "w") as log:
            worker = subprocess.Popen([FLASK, "--app", "wsgi", "hoering", "worker"], cwd=ROOT,
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
        args_ = [*GUNICORN_ARGS, "--error-logfile", os.path.join(folder, "gunicorn.log")]
        with Server("wsgi:app", env=env, args=args_, ready_path="/healthz") as server:
            citizens = [Client(server.url) for _ in emails]
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda pair: pair[0].login(pair[1], PASSWORD), zip(citizens, emails, strict=True)))
            took = burst(run, server.url, citizens, emails, concurrency, None if args.no_faults else server,
                         postgres, redis)
            send_refused_again(run)
            verify(run, server.url, env, consultation_id)
            check_health(run, server.url)
        if worker.poll() is not None:
            run.violation(f"the background worker stopped (exit {worker.returncode}); see {folder}/worker.log")
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        stderr = getattr(error, "stderr", b"") or b""
        print(f"set-up failed: {error} {stderr.decode() if isinstance(stderr, bytes) else stderr}", file=sys.stderr)
        return 2
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(30)
        redis.stop()
        postgres.stop()
    print(f"Load test: {posts} posts by {len(emails)} citizens, {concurrency} at a time, "
          f"burst {took:.1f} s, all {time.monotonic() - started:.1f} s")
    for line in run.faults or ["no faults"]:
        print(f"  fault: {line}")
    for name, n in sorted(run.counts.items()):
        print(f"  {name}: {n}")
    print(f"  searches and logins during the burst: {dict(sorted(run.browse_statuses.items()))}")
    if run.violations:
        print(f"FAILED: {len(run.violations)} violations (logs in {folder})")
        for line in run.violations[:20]:
            print(f"  - {line}")
        return 1
    print("OK: every accepted comment stored once and found, every refused one answered 503 with its text, no 500")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
