"""The load test's small form in CI: ``bench/loadtest.py --small`` (100 comments posted at
once through the real forms to two gunicorn workers and the background worker, on a
PostgreSQL cluster and a Redis server of the script's own, while a worker is killed and
PostgreSQL and Redis restart) must find every comment stored once and searchable, every
refusal a 503 that keeps the text, and no 500.

It runs as a real process and takes about a minute: ``make test`` runs it alone, once,
after the parallel run (``-m loadtest``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")

pytestmark = [
    pytest.mark.loadtest,
    pytest.mark.skipif(not os.access(os.path.join(PG_BIN, "initdb"), os.X_OK),
                       reason=f"PostgreSQL's programs are not installed ({PG_BIN})"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]


def test_the_small_load_test_keeps_every_comment_through_the_faults():
    done = subprocess.run([sys.executable, os.path.join(PROJECT, "bench", "loadtest.py"), "--small"], cwd=PROJECT,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for fault in ("kill-worker", "restart-postgresql", "restart-redis"):
        assert f"fault: {fault} at" in output, output
    assert re.search(r"^  stored exactly once: 100$", output, re.M), output
    assert re.search(r"^  found by search: 100$", output, re.M), output
    assert "answered 500" not in output
