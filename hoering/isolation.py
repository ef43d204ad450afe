"""Heavy work in a short-lived child process forked from the web worker, so that the
libraries it needs (matplotlib, scikit-learn with SciPy, WeasyPrint, python-docx, openpyxl) and
the memory it touches never become part of the worker (issue 14: a worker of at most
100 MiB after serving every page once; docs/PERFORMANCE.md "Worker memory and start-up").

:func:`run` calls a function in a child made with :func:`os.fork` and returns its result,
which travels back pickled through a pipe. The child

* puts itself in a process group of its own (so a timeout kills whatever it started too)
  and takes back the default signal handlers (gunicorn's belong to the worker);
* drops the database pools it inherited without closing the parent's connections
  (``engine.dispose(close=False)``: SQLAlchemy's recipe "Using Connection Pools with
  Multiprocessing or os.fork()"), so its own queries open connections of its own, and
  keeps a reference to the old pools, so that no connection of the parent is collected
  (and closed) in the child;
* runs the function inside an app context of its own (so a database session of its own;
  the parent's session and the ORM objects loaded in it must not be used), in the
  parent's language;
* writes the result and leaves with :func:`os._exit` (no ``atexit`` handlers, no clean-up
  of objects that belong to the parent).

The parent reads the pipe while it waits (a result larger than the pipe's buffer would
otherwise block the child), at most ``ISOLATION_TIMEOUT_SECONDS``; a child that overruns
is killed with its process group and :class:`Overran` is raised (the app answers 503,
:func:`hoering.errors.register`). An exception raised in the child is raised again in the
parent (a :class:`werkzeug.exceptions.NotFound` stays a 404, a
:class:`~hoering.exceptions.ServiceError` keeps its status) with the child's traceback as a
note; one that cannot come back, or a child that dies without an answer, raises
:class:`ChildFailed`.

The result is unpickled with only the modules the parent has already imported (and the
project's own): a function that returned, say, a NumPy array would otherwise import NumPy
into the worker after all. Such a result raises :class:`ChildFailed`: return plain Python
values (lists, dicts, ints, strings, bytes).

Where :func:`os.fork` does not exist (Windows), or ``ISOLATION_FORK`` is false, the
function runs in the calling process, with the same results and errors (no timeout).
Forking a process that runs several threads copies only the calling thread; gunicorn's
sync workers, which the deployment uses (docs/DEPLOY.md), run one. RQ forks a "work horse"
per job in the same way (``rq/worker/worker_classes.py``), the model for this module.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, has_request_context

from hoering.extensions import db

#: Signals whose handlers the child takes back to the default (gunicorn's worker installs
#: its own for them, which must not run in the child).
_RESET_SIGNALS = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCHLD", "SIGALRM")
#: True in a child made by :func:`run`: a further :func:`run` there runs in process.
_in_child = False
#: Bytes read from the pipe at a time.
_CHUNK = 1 << 16
T = TypeVar("T")


class IsolationError(Exception):
    """Base of the errors :func:`run` raises itself."""


class Overran(IsolationError):
    """The child did not finish within its time and was killed.

    Attributes:
        seconds: the time it had (float, seconds).
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the child process did not finish within {seconds:g} s and was killed")
        self.seconds = seconds


class ChildFailed(IsolationError):
    """The child died without an answer (killed by a signal, out of memory), or raised an
    error, or returned a result, that cannot be brought back into the parent.

    Attributes:
        child_traceback: the child's traceback as text ("" when it died without one).
    """

    def __init__(self, message: str, child_traceback: str = "") -> None:
        super().__init__(message)
        self.child_traceback = child_traceback


def forks(app=None) -> bool:
    """True when :func:`run` forks: ``os.fork`` exists, ``ISOLATION_FORK`` is true (the
    default) and we are not already in a child.

    Args:
        app: the Flask app (default: the current one).
    """
    app = app or current_app
    return hasattr(os, "fork") and bool(app.config.get("ISOLATION_FORK", True)) and not _in_child


def run(func: Callable[..., T], *args, timeout: float | None = None, **kwargs) -> T:
    """``func(*args, **kwargs)`` in a child process forked from this one; its result.

    Must be called inside an app context. The arguments reach the child by the fork (they
    are not pickled); the result comes back pickled, so it must be made of plain values
    and of classes of modules the parent has imported.

    Args:
        func: what to run; it gets an app context (and database session) of its own.
        timeout: seconds the child may take (default ``ISOLATION_TIMEOUT_SECONDS``).

    Returns:
        What ``func`` returned.

    Raises:
        Overran: the child took longer than ``timeout`` and was killed.
        ChildFailed: it died without an answer, or its error or result cannot come back.
        Exception: whatever ``func`` raised in the child, raised again here.
    """
    app = current_app._get_current_object()
    if not forks(app):
        return func(*args, **kwargs)
    seconds = float(timeout if timeout is not None else app.config["ISOLATION_TIMEOUT_SECONDS"])
    locale = _locale()
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(app, locale, write_end, func, args, kwargs)
    os.close(write_end)
    try:
        payload = _read(read_end, pid, seconds)
    finally:
        os.close(read_end)
    status = os.waitpid(pid, 0)[1]
    return _answer(payload, status)


def _locale() -> str | None:
    """The current request's locale, which the child keeps (``None`` outside a request)."""
    if not has_request_context():
        return None
    from flask_babel import get_locale

    found = get_locale()
    return str(found) if found is not None else None


def _child(app, locale, write_end: int, func, args, kwargs) -> None:
    """The child's whole life: see the module's docstring. Leaves with ``os._exit``."""
    global _in_child
    code = 1
    try:
        _in_child = True
        os.setpgrp()
        for name in _RESET_SIGNALS:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        # The parent's pools, kept referenced until os._exit so that none of its
        # connections is garbage-collected (closed) here.
        inherited = []
        with app.app_context():
            for engine in db.engines.values():
                inherited.append(engine.pool)
                engine.dispose(close=False)
        parent_modules = frozenset(sys.modules)
        with app.app_context():
            try:
                if locale:
                    from flask_babel import force_locale

                    with force_locale(locale):
                        result = func(*args, **kwargs)
                else:
                    result = func(*args, **kwargs)
                payload = pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as error:  # noqa: BLE001 - every error goes back to the parent
                payload = _error_payload(error, parent_modules)
        with io.FileIO(write_end, "wb", closefd=True) as pipe:
            pipe.write(payload)
        code = 0
    except BaseException:  # noqa: BLE001 - nothing may escape the child
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _error_payload(error: BaseException, parent_modules: frozenset[str]) -> bytes:
    """The pickled answer for an error raised in the child: its type, message and
    traceback as text, and the error itself pickled apart (``None`` when it cannot be)."""
    text = "".join(traceback.format_exception(error))
    inner = None
    if type(error).__module__ in parent_modules:
        try:
            inner = pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - then only its text goes back
            inner = None
    return pickle.dumps(("error", f"{type(error).__module__}.{type(error).__qualname__}", str(error), text, inner),
                        protocol=pickle.HIGHEST_PROTOCOL)


def _read(read_end: int, pid: int, seconds: float) -> bytes:
    """Everything the child writes until it closes the pipe, reading while it works;
    kills it (and its process group) at the deadline.

    Raises:
        Overran: the deadline passed first.
    """
    deadline = time.monotonic() + seconds
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _kill(pid)
            raise Overran(seconds)
        ready, _, _ = select.select([read_end], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(read_end, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    """Kill the child and its process group, and reap it."""
    for kill in (os.killpg, os.kill):  # the group exists once the child has called setpgrp
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    os.waitpid(pid, 0)


class _ParentUnpickler(pickle.Unpickler):
    """Unpickles only classes of modules the parent has imported, or the project's own."""

    def find_class(self, module: str, name: str):
        if module not in sys.modules and module.split(".")[0] != "hoering":
            raise pickle.UnpicklingError(f"{module}.{name} is of a module the web worker has not imported")
        return super().find_class(module, name)


def _loads(payload: bytes):
    return _ParentUnpickler(io.BytesIO(payload)).load()


def _answer(payload: bytes, status: int):
    """The child's result, or its error raised (see :func:`run`)."""
    if not payload:
        how = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exit status {os.waitstatus_to_exitcode(status)}")
        raise ChildFailed(f"the child process ended without an answer ({how})")
    try:
        answer = _loads(payload)
    except pickle.UnpicklingError as error:
        raise ChildFailed(f"the child's result cannot be brought back: {error}") from None
    if answer[0] == "ok":
        return answer[1]
    _, kind, message, text, inner = answer
    error = None
    if inner is not None:
        try:
            error = _loads(inner)
        except Exception:  # noqa: BLE001 - its text is enough
            error = None
    if not isinstance(error, BaseException):
        failed = ChildFailed(f"the child process raised {kind}: {message}", text)
        failed.add_note("The child's traceback:\n" + text)
        raise failed
    error.add_note("Raised in a child process (hoering.isolation):\n" + text)
    raise error
