"""The shared cache of rendered pages and API answers (cachelib).

With ``REDIS_URL`` set, entries live in Redis, so every app server sees the same ones;
otherwise in the memory of each process (the embedded default needs nothing). Entries are
written under keys that name what they depend on (a consultation's content version, the
language, …), so a change is never served stale: it makes a new key, and old entries
simply age out after ``PAGE_CACHE_SECONDS``.

A cache that does not answer (Redis down) is treated as empty: the page is rendered as if
nothing were cached, and the failure is logged, never shown to the reader.
"""

from __future__ import annotations

import threading

import redis
from cachelib import BaseCache, NullCache, RedisCache, SimpleCache
from flask import current_app

#: Prefix of every key this application writes into Redis.
KEY_PREFIX = "hoering:page:"

_lock = threading.Lock()
#: Where the app keeps its cache object (``app.extensions``).
EXTENSION = "hoering_page_cache"


def backend() -> BaseCache:
    """The cache of the current app: :class:`cachelib.RedisCache` on ``REDIS_URL``, a
    :class:`cachelib.SimpleCache` of ``PAGE_CACHE_MAX_ITEMS`` entries per process without
    it, or a :class:`cachelib.NullCache` when ``PAGE_CACHE_SECONDS`` is 0. Made once per
    app and process (the in-process cache is shared by the threads of a process)."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        with _lock:
            found = current_app.extensions.get(EXTENSION)
            if found is None:
                found = current_app.extensions[EXTENSION] = _make(current_app.config)
    return found


def _make(config) -> BaseCache:
    seconds = int(config["PAGE_CACHE_SECONDS"])
    if seconds <= 0:
        return NullCache()
    if config.get("REDIS_URL"):
        client = redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
        return RedisCache(host=client, default_timeout=seconds, key_prefix=KEY_PREFIX)
    return SimpleCache(threshold=int(config["PAGE_CACHE_MAX_ITEMS"]), default_timeout=seconds)


def get(key: str):
    """The value cached under ``key``, or ``None`` (also when the cache does not answer)."""
    try:
        return backend().get(key)
    except Exception:  # a cache that fails is an empty cache
        current_app.logger.warning("page cache: reading %s failed", key, exc_info=True)
        return None


def put(key: str, value) -> None:
    """Keep ``value`` (picklable) under ``key`` for ``PAGE_CACHE_SECONDS``; a failing cache
    is logged and ignored."""
    put_for(key, value, None)


def put_for(key: str, value, seconds: int | None) -> None:
    """Keep ``value`` (picklable) under ``key`` for ``seconds`` (``None``:
    ``PAGE_CACHE_SECONDS``); a failing cache is logged and ignored."""
    try:
        backend().set(key, value, timeout=seconds)
    except Exception:
        current_app.logger.warning("page cache: writing %s failed", key, exc_info=True)


def forget(key: str) -> None:
    """Drop the entry under ``key``, if any; a failing cache is logged and ignored."""
    try:
        backend().delete(key)
    except Exception:
        current_app.logger.warning("page cache: deleting %s failed", key, exc_info=True)


def clear() -> None:
    """Drop every entry of the current app's cache (tests, and after restoring a backup)."""
    try:
        backend().clear()
    except Exception:
        current_app.logger.warning("page cache: clearing failed", exc_info=True)
