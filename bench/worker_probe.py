"""Hoering's WSGI app for ``bench/worker_memory.py``: ``wsgi.app`` behind a middleware that
answers ``GET /__bench/modules`` with the top-level names of the modules this worker has
imported (one line, space-separated), so the benchmark can list the heavy ones. Never
served outside the benchmark."""

from __future__ import annotations

import sys

from wsgi import app as hoering_app

PROBE_PATH = "/__bench/modules"


def app(environ, start_response):
    """WSGI callable: the probe at :data:`PROBE_PATH`, everything else to Hoering."""
    if environ.get("PATH_INFO") == PROBE_PATH:
        names = " ".join(sorted({name.split(".")[0] for name in list(sys.modules)})).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(names)))])
        return [names]
    return hoering_app(environ, start_response)
