"""Helpers for tests of parallel requests: one person in several browser tabs (each its own
test client and session) sending the same form at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.conftest import Browser, csrf_token_from

#: Seconds a thread waits for the others at the barrier, and for its request to finish,
#: before the test gives up (a deadlock, not a slow machine).
PATIENCE = 120


def tabs_of(app, user, count: int, page: str = "/") -> list[tuple[Browser, str]]:
    """``count`` test clients, each logged in as ``user`` through the login form, with the
    CSRF token of ``page`` as each of them saw it."""
    tabs = []
    for _ in range(count):
        tab = Browser(app.test_client())
        tab.login(user)
        tabs.append((tab, csrf_token_from(tab.get(page).get_data(as_text=True))))
    return tabs


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run every callable in its own thread, all released at the same moment by a
    :class:`threading.Barrier`; returns their results in order, an exception a thread
    raised in place of its result (a 500 under ``TESTING`` propagates as one)."""
    barrier = threading.Barrier(len(calls), timeout=PATIENCE)
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as error:  # noqa: BLE001  (reported to the test, not swallowed)
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def answers(responses: list[object]) -> list[object]:
    """Each response's status code, or the exception that took its place."""
    return [getattr(response, "status_code", response) for response in responses]
