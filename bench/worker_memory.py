"""A web worker's memory after serving every page once, and the start-up cost, each beside
a bare Flask app (``bench/bare_app.py``) measured in the same run.

Usage: .venv/bin/python bench/worker_memory.py [--repeat 7] [--importtime 12]

1. Loads the demo municipality (``hoering.demo.load_demo``) into a scratch SQLite database
   in a temporary folder, with its search index.
2. Serves it with gunicorn (``bench/gunicorn_bench.py``'s :class:`Server`, one sync worker,
   so that every request reaches the worker measured), and requests every route of
   ``app.url_map`` that answers GET once: anonymously, then logged in as the demo moderator,
   then as the demo administrator (through the login form). URLs are built with real ids
   and slugs from the demo; routes that need a secret token (a link from an e-mail) are
   requested with a made-up one. The number of answers of each status is printed, with
   the paths that answered 4xx, and at the end the ten requests after which the worker's
   RSS grew most.
3. Reads the worker's resident memory (``VmRSS`` in ``/proc/<pid>/status``) and its
   proportional share (``Pss`` in ``/proc/<pid>/smaps_rollup``) after each of the three
   rounds, beside the bare app's worker after one request, and lists which heavy
   third-party modules (:data:`HEAVY`) the worker has imported (``bench/worker_probe.py``
   serves the app with a path that lists them).
4. Start-up: the median of ``--repeat`` fresh processes that import and create the app
   (``from wsgi import app``) against that of ``from bare_app import app``, as a ratio;
   then ``python -X importtime`` of the app, listing the packages that took longest to
   import and which heavy modules (:data:`HEAVY`) creating the app imported. (Step 4 runs
   first, before any server.)

Figures are in MiB (2**20 bytes) and seconds; docs/PERFORMANCE.md ("Worker memory and
start-up") records them. The budget (issue 14): at most 100 MiB a worker after every page.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gunicorn_bench import BIN, ROOT, Server  # noqa: E402

#: Third-party modules that cost much memory or start-up time; the web worker should load
#: them only where they are used.
HEAVY = ("numpy", "sklearn", "scipy", "alembic", "flask_migrate", "matplotlib", "fpdf", "weasyprint", "docx", "openpyxl",
         "boto3", "botocore", "lxml", "PIL", "fontTools", "whoosh", "icalendar", "feedgen", "segno", "redis", "psycopg")

#: One sync worker: every request reaches the process whose memory is read.
ONE_WORKER = ["--workers", "1", "--worker-class", "sync", "--timeout", "120", "--log-level", "warning"]
#: Hoering as deployed (docs/DEPLOY.md): the app created in the master and the worker
#: forked from it (``hoering/serving.py``); the bare app preloaded alike.
SERVING = ["--config", "python:hoering.serving", *ONE_WORKER]
BARE_PRELOADED = ["--preload", *ONE_WORKER]

#: Where ``bench/worker_probe.py`` lists the worker's imported modules.
PROBE_PATH = "/__bench/modules"


def mib(kib: int) -> float:
    """KiB (as /proc reports them) → MiB."""
    return kib / 1024


def memory(pid: int) -> tuple[float, float, float]:
    """``(RSS, PSS, USS)`` of process ``pid`` in MiB, from ``/proc/<pid>/status`` and
    ``/proc/<pid>/smaps_rollup`` (Linux). USS (unique set size) is the memory only this
    process maps (``Private_Clean`` + ``Private_Dirty``): what it would give back if it
    ended, i.e. what one more worker costs."""
    with open(f"/proc/{pid}/status") as handle:
        rss = int(re.search(r"^VmRSS:\s+(\d+) kB", handle.read(), re.M).group(1))
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        rollup = handle.read()
    pss = int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
    uss = sum(int(re.search(rf"^{name}:\s+(\d+) kB", rollup, re.M).group(1))
              for name in ("Private_Clean", "Private_Dirty"))
    return mib(rss), mib(pss), mib(uss)


def worker_modules(browser: Browser) -> list[str]:
    """The heavy modules (:data:`HEAVY`) the worker behind ``browser`` has imported, as
    ``bench/worker_probe.py`` reports them."""
    loaded = set(browser.get(PROBE_PATH)[1].decode().split())
    return [name for name in HEAVY if name in loaded]


def demo_database(folder: str) -> dict:
    """Make the scratch database and index with the demo content; return the environment
    for the server (``HOERING_*``) and the ids and slugs the URLs need."""
    env = {"HOERING_DATABASE_URL": f"sqlite:///{folder}/hoering.sqlite",
           "HOERING_SEARCH_INDEX_DIR": os.path.join(folder, "search-index"),
           "HOERING_SECRET_KEY": "worker-memory-bench-0123456789abcdef",
           "HOERING_SITE_URL": "http://127.0.0.1",
           "HOERING_MAIL_BACKEND": "null"}
    script = r"""
import json, sys
import sqlalchemy as sa
from hoering import create_app
from hoering.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
    from hoering.demo import load_demo
    from hoering.search.services import process_pending
    load_demo()
    process_pending()
    from hoering.consultations.models import Consultation, Document
    from hoering.comments.models import Comment
    from hoering.accounts.models import User
    from hoering.summaries.models import Theme
    from hoering.moderation.models import HouseRule
    published = db.session.scalars(sa.select(Consultation).where(Consultation.published_at.is_not(None))
                                   .order_by(Consultation.id)).all()
    with_comments = next(c for c in published if db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(Comment.consultation_id == c.id)))
    comment = db.session.scalars(sa.select(Comment).where(Comment.consultation_id == with_comments.id,
                                 Comment.parent_id.is_(None)).order_by(Comment.id)).first()
    document = db.session.scalars(sa.select(Document).order_by(Document.id)).first()
    theme = db.session.scalars(sa.select(Theme).order_by(Theme.id)).first()
    rule = db.session.scalars(sa.select(HouseRule).order_by(HouseRule.id)).first()
    user = db.session.scalars(sa.select(User).where(User.is_pseudonymous.is_(True)).order_by(User.id)).first()
    print(json.dumps({"slug": with_comments.slug, "consultation_id": with_comments.id, "thread_id": comment.id,
                      "comment_id": comment.id, "user_id": user.id,
                      "document_id": document.id if document else None,
                      "filename": document.filename if document else None,
                      "theme_id": theme.id if theme else None, "rule_id": rule.id if rule else None}))
"""
    output = subprocess.run([os.path.join(BIN, "python"), "-c", script], env=dict(os.environ, **env,
                            PYTHONPATH=ROOT), cwd=ROOT, capture_output=True, text=True, check=True).stdout
    import json

    return env, json.loads(output.strip().splitlines()[-1])


def route_paths(ids: dict) -> list[tuple[str, str]]:
    """``[(endpoint, path)]`` for every GET route of the app, built with ``ids``."""
    script = r"""
import json, sys
from hoering import create_app
app = create_app({"TESTING": True})
ids = json.loads(sys.argv[1])
values = {"slug": ids["slug"], "thread_id": ids["thread_id"], "comment_id": ids["comment_id"],
          "user_id": ids["user_id"], "consultation_id": ids["consultation_id"],
          "document_id": ids["document_id"] or 1, "filename": ids["filename"] or "x.pdf",
          "theme_id": ids["theme_id"] or 1, "rule_id": ids["rule_id"] or 1, "token": "not-a-real-token",
          "filename_static": "css/site.css"}
out = []
with app.test_request_context():
    from flask import url_for
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        args = {name: values["filename_static"] if rule.endpoint == "static" and name == "filename"
                else values[name] for name in rule.arguments if name != "fmt"}
        if "fmt" in rule.arguments:
            formats = ("csv", "xlsx", "json") if rule.endpoint == "exports.comments_export" else ("docx", "pdf")
            out += [(rule.endpoint, url_for(rule.endpoint, fmt=fmt, **args)) for fmt in formats]
        else:
            out.append((rule.endpoint, url_for(rule.endpoint, **args)))
print(json.dumps(out))
"""
    output = subprocess.run([os.path.join(BIN, "python"), "-c", script, __import__("json").dumps(ids)],
                            env=dict(os.environ, PYTHONPATH=ROOT, HOERING_SECRET_KEY="x" * 32), cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    return [tuple(pair) for pair in __import__("json").loads(output.strip().splitlines()[-1])]


class Browser:
    """A client with a cookie jar that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  self._NoRedirect())

    def get(self, path: str) -> tuple[int, bytes]:
        """GET ``path``; returns ``(status, body)`` for any status."""
        try:
            with self.opener.open(self.base + path, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, email: str, password: str) -> None:
        """Log in through the login form.

        Raises:
            RuntimeError: when the form does not redirect (wrong password, two-factor).
        """
        page = self.get("/logg-inn")[1].decode()
        token = html.unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
        data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
        try:
            with self.opener.open(self.base + "/logg-inn", data=data, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status not in (302, 303):
            raise RuntimeError(f"logging in as {email} answered {status}")


def serve_every_page(browser: Browser, paths: list[tuple[str, str]], label: str, pid: int,
                     growth: list[tuple[float, str, str]]) -> None:
    """Request each path once, print a line per status, and add ``(RSS growth in MiB,
    label, path)`` of each request to ``growth``."""
    statuses: dict[int, list[str]] = {}
    before = memory(pid)[0]
    for _endpoint, path in paths:
        status, _body = browser.get(path)
        statuses.setdefault(status, []).append(path)
        after = memory(pid)[0]
        growth.append((after - before, label, path))
        before = after
    for status, done in sorted(statuses.items()):
        print(f"  {label}: {status} × {len(done)}" + ("" if status < 400 else f"  ({', '.join(done[:6])}…)"))


def startup(spec: str, repeat: int) -> float:
    """Median seconds, over ``repeat`` fresh processes, to import and create the app of
    ``spec`` (``"module"`` whose import builds ``app``)."""
    times = []
    code = f"import time; t = time.perf_counter(); import {spec}; print(time.perf_counter() - t)"
    for _ in range(repeat):
        output = subprocess.run([os.path.join(BIN, "python"), "-c", code], capture_output=True, text=True,
                                env=dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "bench")]),
                                         HOERING_SECRET_KEY="x" * 32), cwd=ROOT, check=True).stdout
        times.append(float(output.strip().splitlines()[-1]))
    return statistics.median(times)


def importtime(top: int) -> tuple[list[str], list[str]]:
    """``python -X importtime -c "import wsgi"``: the ``top`` top-level packages whose
    modules took longest to import (their own times summed, so a package is not counted
    again under the one that imported it), and the heavy modules (:data:`HEAVY`) among all."""
    result = subprocess.run([os.path.join(BIN, "python"), "-X", "importtime", "-c", "import wsgi"],
                            capture_output=True, text=True, cwd=ROOT, check=True,
                            env=dict(os.environ, PYTHONPATH=ROOT, HOERING_SECRET_KEY="x" * 32))
    own: dict[str, int] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if match:
            package = match.group(3).split(".")[0]
            own[package] = own.get(package, 0) + int(match.group(1))
    total = sum(own.values())
    slowest = [f"{micro / 1e3:7.1f} ms  {micro / total:4.0%}  {name}"
               for name, micro in sorted(own.items(), key=lambda item: -item[1])[:top]]
    return slowest, [name for name in HEAVY if name in own]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes timed for the start-up figure")
    parser.add_argument("--importtime", type=int, default=12, help="slowest top-level imports listed")
    args = parser.parse_args()

    bare_start = startup("bare_app", args.repeat)
    app_start = startup("wsgi", args.repeat)
    print(f"start-up (import and create the app, median of {args.repeat} fresh processes): "
          f"Hoering {app_start:.3f} s, bare Flask app {bare_start:.3f} s, ratio {app_start / bare_start:.1f}")
    slowest, heavy = importtime(args.importtime)
    print("  slowest packages to import (python -X importtime, own time of their modules summed):")
    for line in slowest:
        print("   ", line)
    print(f"  heavy modules imported by creating the app: {', '.join(heavy) or 'none'}")

    with Server("bare_app:app", args=BARE_PRELOADED) as bare:
        Browser(bare.url).get("/")
        bare_rss, bare_pss, bare_uss = memory(bare.worker_pids()[0])
    print(f"bare Flask app's worker after one request: RSS {bare_rss:.1f} MiB, PSS {bare_pss:.1f} MiB, "
          f"USS {bare_uss:.1f} MiB")

    with tempfile.TemporaryDirectory() as folder:
        env, ids = demo_database(folder)
        paths = route_paths(ids)
        with Server("worker_probe:app", env=env, args=SERVING, ready_path="/healthz") as server:
            pid = server.worker_pids()[0]
            rss, pss, uss = memory(pid)
            print(f"Hoering's worker, started: RSS {rss:.1f} MiB, PSS {pss:.1f} MiB, USS {uss:.1f} MiB "
                  f"(ratio to the bare worker {rss / bare_rss:.2f}); heavy modules mapped: "
                  f"{', '.join(worker_modules(Browser(server.url))) or 'none'}")
            accounts = [("anonymous", None, None), ("moderator", "moderator@fjordvik.example", "demo-moderator"),
                        ("admin", "admin@fjordvik.example", "demo-administrator")]
            worst, growth = 0.0, []
            for label, email, password in accounts:
                browser = Browser(server.url)
                if email:
                    browser.login(email, password)
                serve_every_page(browser, paths, label, pid, growth)
                rss, pss, uss = memory(pid)
                worst = max(worst, pss)
                print(f"Hoering's worker after every page as {label}: RSS {rss:.1f} MiB, PSS {pss:.1f} MiB, "
                      f"USS {uss:.1f} MiB "
                      f"(ratio to the bare worker {rss / bare_rss:.2f}); heavy modules mapped: "
                      f"{', '.join(worker_modules(browser)) or 'none'}")
            print("the requests after which the worker grew most (RSS, MiB):")
            for grown, label, path in sorted(growth, reverse=True)[:10]:
                print(f"  +{grown:5.1f}  {label:9} {path}")
            master_rss, master_pss, master_uss = memory(server.process.pid)
            print(f"gunicorn's master (holds the app the worker was forked from): RSS {master_rss:.1f} MiB, "
                  f"PSS {master_pss:.1f} MiB, USS {master_uss:.1f} MiB")
            print(f"budget: at most 100 MiB after every page, by PSS: {'met' if worst <= 100 else 'NOT met'} "
                  f"({worst:.1f} MiB)")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s)")
