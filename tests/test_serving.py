"""The production server: gunicorn with several worker processes serves the app from
``wsgi.py``, on the same database, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_gunicorn_workers_serve_the_site_and_stop_on_sigterm(app, make_consultation, tmp_path):
    consultation = make_consultation(title="Ny barnehage i Fjordvik")
    port = free_port()
    env = {**os.environ, "HOERING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "HOERING_SECRET_KEY": "a-secret-for-the-serving-test-only-0123456789",
           "HOERING_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "HOERING_MAIL_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "--control-socket", str(tmp_path / "gunicorn.ctl"), "wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.2)
        assert status == 200 and b'"status":"ok"' in body
        pages = [get(f"http://127.0.0.1:{port}/hoeringer/{consultation.slug}") for _ in range(6)]
        assert all(status == 200 and b"Ny barnehage i Fjordvik" in body for status, body in pages)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert output.count("Booting worker") == 2
