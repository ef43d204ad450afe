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
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from hoering.extensions import db

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
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--config", "python:hoering.serving",
         "--workers", "2", "--bind", f"127.0.0.1:{port}",
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
        # The app was created once, in the master (hoering.serving: preload); the workers
        # use connections of their own at the same time.
        url = f"http://127.0.0.1:{port}/hoeringer/{consultation.slug}"
        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(lambda i: get(f"{url}?page={i % 3 + 1}"), range(48)))
        assert all(status == 200 and b"Ny barnehage i Fjordvik" in body for status, body in pages)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert output.count("Booting worker") == 2
    assert "Traceback" not in output, output


def test_create_database_makes_a_missing_database_once(app, make_app, tmp_path):
    """`flask hoering create-database` (run by `make serve`): a missing PostgreSQL database
    is created, an existing one left alone; on SQLite the file's folder is made."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        target = tmp_path / "nested" / "folder" / "hoering.sqlite"
        result = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{target}").test_cli_runner().invoke(
            args=["hoering", "create-database"])
        assert result.exit_code == 0, result.output
        assert target.parent.is_dir() and "SQLite" in result.output
        return
    name = f"{url.database}_created_{os.getpid()}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    other = make_app(SQLALCHEMY_DATABASE_URI=url.set(database=name).render_as_string(hide_password=False))
    try:
        first = other.test_cli_runner().invoke(args=["hoering", "create-database"])
        second = other.test_cli_runner().invoke(args=["hoering", "create-database"])
        assert first.exit_code == second.exit_code == 0, first.output + second.output
        assert f"Created the database {name}." in first.output
        assert f"The database {name} is there." in second.output
        with admin.connect() as connection:
            assert connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    finally:
        with other.app_context():
            db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
