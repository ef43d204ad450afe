"""The private services of ``bench/loadtest.py``: a PostgreSQL cluster and a Redis server of
its own, on free ports in a temporary folder, which it may restart at will.

The machine's shared PostgreSQL (5432) and Redis (6379) are never touched: the test suite
runs against them. PostgreSQL comes from ``/usr/lib/postgresql/15/bin`` (``PG_BIN``
overrides it); run as root, its programs run as the ``postgres`` user (``runuser``), in a
folder that user owns. Redis is ``redis-server`` from the ``PATH``, without persistence.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_programs() -> list[str]:
    """The programs the load test needs and this machine lacks (empty when none)."""
    missing = [name for name in ("initdb", "pg_ctl") if not os.access(os.path.join(PG_BIN, name), os.X_OK)]
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser")
    return missing


def wait_for_port(port: int, seconds: float = 30.0) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections.

    Raises:
        RuntimeError: it does not within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {seconds:.0f} s")


class Postgres:
    """A PostgreSQL 15 cluster of its own: trust authentication for ``postgres`` on
    127.0.0.1 at a free port, ``fsync`` off (a throw-away cluster), its log in the folder.

    Raises (from :meth:`start`, :meth:`restart`): ``subprocess.CalledProcessError`` when
    ``initdb`` or ``pg_ctl`` fails.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="hoering-loadtest-pg-")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "postgresql.log")

    def url(self, database: str = "hoering") -> str:
        """The SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *command], check=True, cwd=self.folder, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def start(self) -> None:
        """Make the cluster and start it; returns once it accepts connections."""
        self._run(os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: open transactions are rolled back, every connection
        is cut; returns once the server accepts connections again."""
        self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        try:
            self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, OSError):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A ``redis-server`` of its own on a free port of 127.0.0.1, without persistence
    (``--save "" --appendonly no``): a restart empties it, as a crash of a cache would."""

    def __init__(self, folder: str) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The ``redis://`` URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server; returns once it accepts connections.

        Raises:
            RuntimeError: it does not answer within 30 seconds.
        """
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.folder, "--logfile", os.path.join(self.folder, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop the server (SIGTERM; it saves nothing)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        """Stop and start the server on the same port: every connection is cut and every
        key is lost."""
        self.stop()
        self.start()
