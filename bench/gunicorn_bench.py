"""Serve an app with gunicorn and measure its requests per second, beside a bare Flask page.

Every HTTP speed figure in docs/PERFORMANCE.md is a ratio to ``bench/bare_app.py`` served by
the same gunicorn configuration (:data:`GUNICORN_ARGS`) on the same machine in the same run,
because the machine is shared and noisy. The load comes from ``wrk`` (Debian package
``wrk``) when it is installed, otherwise from Python threads with keep-alive connections
(slower: the ratio is still comparable within a run, not across the two clients).

Usage as a library::

    with Server("wsgi:app", env={...}) as app_server, Server("bare_app:app") as bare:
        ratio = throughput(app_server.url + "/hoeringer/x") / throughput(bare.url + "/")
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")

#: The one gunicorn configuration every figure is measured on: two sync workers (the
#: machine has two cores), no access log.
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "sync", "--timeout", "120", "--log-level", "warning"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn process serving ``app_spec`` (``"module:app"``) on a free port.

    Args:
        app_spec: the WSGI application, as gunicorn takes it.
        env: environment variables added for the server (``HOERING_*`` settings).
        args: gunicorn arguments replacing :data:`GUNICORN_ARGS`.
        ready_path: path requested until it answers (any status), up to 60 seconds.

    Raises:
        RuntimeError: when the server does not answer within 60 seconds.
    """

    def __init__(self, app_spec: str, env: dict | None = None, args: list[str] | None = None,
                 ready_path: str = "/") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_spec, self.env = app_spec, dict(os.environ, **(env or {}))
        self.env["PYTHONPATH"] = os.pathsep.join([ROOT, os.path.join(ROOT, "bench")])
        self.args = GUNICORN_ARGS if args is None else args
        self.ready_path = ready_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [os.path.join(BIN, "gunicorn"), *self.args, "--bind", f"127.0.0.1:{self.port}", self.app_spec]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                get(self.url + self.ready_path)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn {self.app_spec} exited with {self.process.returncode}") from None
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn {self.app_spec} did not answer within 60 seconds")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def worker_pids(self) -> list[int]:
        """The process ids of the gunicorn workers (children of the arbiter)."""
        output = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in output.split()]


def get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    """One GET request; returns the status and body. Raises OSError when nothing answers."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def throughput(url: str, seconds: float = 10.0, connections: int = 8, headers: dict | None = None) -> float:
    """Requests per second that ``url`` answers with 2xx/3xx under ``connections`` concurrent
    keep-alive clients for ``seconds`` (after a 2-second warm-up).

    Raises:
        RuntimeError: when any answer is not 2xx or 3xx (the figure would be meaningless).
    """
    run = _wrk if shutil.which("wrk") else _python_load
    run(url, 2.0, connections, headers)
    return run(url, seconds, connections, headers)


def _wrk(url: str, seconds: float, connections: int, headers: dict | None) -> float:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output and "timeout 0" not in output:
        raise RuntimeError(f"errors while loading {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def _python_load(url: str, seconds: float, connections: int, headers: dict | None) -> float:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    counts, errors = [0] * connections, []
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while time.monotonic() < stop:
            connection.request("GET", target, headers=headers or {})
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                errors.append(response.status)
                return
            counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{url} answered {errors[0]}")
    return sum(counts) / (time.monotonic() - started)


def ratio_line(name: str, app_rps: float, bare_rps: float) -> str:
    """A printable line: the page's requests per second, the bare page's, and their ratio."""
    return f"{name}: {app_rps:.1f} req/s, bare Flask page {bare_rps:.1f} req/s, ratio {app_rps / bare_rps:.3f}"


if __name__ == "__main__":
    with Server("bare_app:app") as bare:
        rps = throughput(bare.url + "/", seconds=float(sys.argv[1]) if len(sys.argv) > 1 else 5)
        print(f"bare Flask page: {rps:.1f} req/s")
