"""gunicorn's settings for serving Hoering in production:
``gunicorn --config python:hoering.serving --workers 4 --bind … wsgi:app``.

The app is created once, in gunicorn's master process, before the workers are forked
(``preload_app``), so that the workers share its imported code and data with the master
instead of each holding a copy: a worker's own memory is what it adds by serving.
What sharing needs:

* Everything the master allocated is frozen just before each fork (``gc.freeze()``): a
  worker's garbage collector then never visits those objects. Without it, a collection in
  a worker writes to every object it visits, and the pages they are on are copied into
  the worker (the CPython documentation of ``gc.freeze``, "If a process will fork()
  without exec() …"; Instagram's "Dismissing Python Garbage Collection at Instagram",
  2017). The documentation also switches the collector off while the parent loads; that
  is left out, since importing this module must not change the importing process.
* Database connections the master may have opened while creating the app are not used by
  the workers: each worker drops the inherited pool without closing those connections
  (SQLAlchemy's "Using Connection Pools with Multiprocessing or os.fork()":
  ``engine.dispose(close=False)``) and opens its own. Redis clients (redis-py) notice the
  new process by themselves.

A preloaded app is not reloaded by ``SIGHUP``: restart the service to run new code
(docs/DEPLOY.md).
"""

from __future__ import annotations

import gc

from hoering import database

#: Create the app in the master, before forking (gunicorn's ``--preload``).
preload_app = True


def pre_fork(server, worker) -> None:
    """gunicorn hook, in the master just before a worker is forked: move every object
    allocated so far out of the collector's reach, so no worker's collection touches them."""
    gc.freeze()


def post_fork(server, worker) -> None:
    """gunicorn hook, in a new worker: leave the master's database connections alone (each
    worker connects on its own)."""
    database.forget_inherited_connections()
