"""Slowing down password guessing without letting strangers lock an owner out.

The design follows OWASP's "Slow down online guessing attacks with device cookies" (the
Authentication Cheat Sheet links it), which is what mature platforms do:

* A browser that has logged in to an account gets a signed *device cookie* naming the
  account. Its failures count for that browser alone, so strangers elsewhere never lock
  it out.
* Every other client counts per (account, address). After ``LOGIN_BACKOFF_AFTER``
  failures it must wait ``LOGIN_BACKOFF_SECONDS``, doubled at every further failure
  (exponential back-off, capped at ``LOGIN_BACKOFF_MAX_SECONDS``); the wait is checked
  before the password, so a waiting guesser learns nothing.
* Failures from such clients also count per account (``RATELIMIT_LOGIN_ACCOUNT``, a moving
  window). Past it the account is *under attack*: its owner is told by mail (at most once
  per ``LOGIN_WARNING_PERIOD_SECONDS``), and a client the account does not know logs in
  only through a one-time link mailed to the owner when the password was right. The
  answer is the same whether the password was right or not, so guessing from many
  addresses gains nothing.

All counts live in the rate limiter's storage (memory, or Redis when several processes
serve), never in the database, and hold no address in clear beyond that storage.
"""

from __future__ import annotations

import secrets
import time

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from hoering.accounts.models import User
from hoering.extensions import address_key, limiter
from hoering.ratelimit import account_key

#: The clock the waits are measured with (seconds since the epoch).
clock = time.time
#: The device cookie's name.
DEVICE_COOKIE = "hoering_device"
#: Accounts one browser is remembered for (the most recent ones).
DEVICE_ACCOUNTS_MAX = 10


def _counters() -> tuple[Storage, RateLimiter]:
    """The storage and the moving-window strategy the counts of this module use: the rate
    limiter's own, or, where rate limits are switched off (``RATELIMIT_ENABLED = False``,
    when Flask-Limiter sets up no storage), a memory storage of this app's process, so that
    the guessing defence and one-time links keep working without rate limits."""
    if current_app.config.get("RATELIMIT_ENABLED", True):
        return limiter.storage, limiter.limiter
    counters = current_app.extensions.get("hoering_login_counters")
    if counters is None:
        storage = MemoryStorage()
        counters = current_app.extensions["hoering_login_counters"] = (storage, MovingWindowRateLimiter(storage))
    return counters


def _storage_key(*parts: str) -> str:
    return "/".join([current_app.config.get("RATELIMIT_KEY_PREFIX", "") or "hoering", "login", *parts])


# --- device cookies -------------------------------------------------------------------------------

def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hoering-device")


def _read_device() -> tuple[str, list[int]] | None:
    """``(device id, account ids)`` from this request's device cookie, or ``None``."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _device_serializer().loads(raw[:2000])
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("d"), str) or not isinstance(value.get("u"), list):
        return None
    return value["d"], [n for n in value["u"] if isinstance(n, int) and not isinstance(n, bool)]


def known_device(user_id: int | None) -> str | None:
    """The id of this browser when it has logged in to account ``user_id`` before (its
    device cookie names the account), else ``None``."""
    device = _read_device()
    if device is None or user_id is None or user_id not in device[1]:
        return None
    return device[0]


def trust_this_device(user: User) -> None:
    """After a complete login of ``user``: the response sets (or extends) this browser's
    device cookie so that the account knows it from now on. The cookie is signed with the
    site key, ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` like the session cookie; it
    lets nobody in by itself (the password is always asked for) and survives logging out."""
    device = _read_device()
    device_id, accounts = device if device is not None else (secrets.token_urlsafe(16), [])
    accounts = [n for n in accounts if n != user.id][-(DEVICE_ACCOUNTS_MAX - 1):] + [user.id]
    value = _device_serializer().dumps({"d": device_id, "u": accounts})
    config = current_app.config

    @after_this_request
    def set_cookie(response):
        response.set_cookie(DEVICE_COOKIE, value, max_age=config["DEVICE_COOKIE_MAX_AGE"], httponly=True,
                            samesite="Lax", secure=bool(config.get("SESSION_COOKIE_SECURE")))
        return response


# --- counting -------------------------------------------------------------------------------------

class LoginGuard:
    """The throttle of one login attempt: ``email`` as typed, ``user`` the account it
    names (``None`` when none does: it is counted all the same, so the answers do not tell
    which addresses have accounts)."""

    def __init__(self, email: str, user: User | None):
        self.account = account_key(email)
        self.user = user
        self.device = known_device(user.id if user is not None else None)
        self.client = f"device:{self.device}" if self.device else address_key()

    def _key(self, what: str) -> str:
        return _storage_key(what, self.account, self.client)

    def wait_seconds(self) -> int:
        """Seconds this client must still wait before it may try this account again (0: it may)."""
        until = _counters()[0].get(self._key("until"))
        return max(0, int(until - clock() + 0.999)) if until else 0

    def _account_limits(self):
        return parse_many(current_app.config["RATELIMIT_LOGIN_ACCOUNT"])

    def under_attack(self) -> bool:
        """True while the account's failures from unknown clients are over ``RATELIMIT_LOGIN_ACCOUNT``."""
        prefix = _storage_key("account")
        strategy = _counters()[1]
        return not all(strategy.test(item, prefix, self.account) for item in self._account_limits())

    def restricted(self) -> bool:
        """True when this client may log in only through a mailed link: the account is
        under attack and this browser has not logged in to it before."""
        return self.device is None and self.under_attack()

    def record_failure(self) -> None:
        """Count a failed attempt (or, under attack, any attempt from an unknown client, so
        that its waits do not tell a right password from a wrong one): this client's wait
        grows, and a client the account does not know counts against the account."""
        config = current_app.config
        storage, strategy = _counters()
        failures = storage.incr(self._key("failures"), int(config["LOGIN_FAILURE_MEMORY_SECONDS"]))
        if failures >= config["LOGIN_BACKOFF_AFTER"]:
            wait = min(config["LOGIN_BACKOFF_MAX_SECONDS"],
                       config["LOGIN_BACKOFF_SECONDS"] * 2 ** (failures - config["LOGIN_BACKOFF_AFTER"]))
            until = self._key("until")
            storage.clear(until)
            storage.incr(until, int(wait) + 1, amount=int(clock() + wait))
        if self.device is None:
            prefix = _storage_key("account")
            for item in self._account_limits():
                strategy.hit(item, prefix, self.account)

    def succeeded(self) -> None:
        """A login went through: this client's failures are forgotten."""
        storage = _counters()[0]
        storage.clear(self._key("failures"))
        storage.clear(self._key("until"))


def spend_once(token_id: str, seconds: int) -> bool:
    """True the first time ``token_id`` is spent within ``seconds``, false after: a mailed
    sign-in link works once."""
    return _counters()[0].incr(_storage_key("spent", token_id), int(seconds)) == 1


def allow_sign_in_mail(user_id: int) -> bool:
    """Count a sign-in link mailed to account ``user_id``; false when ``RATELIMIT_ACCOUNT_MAIL``
    has been reached (the owner is not flooded by someone who knows the password)."""
    prefix = _storage_key("sign-in-mail")
    strategy = _counters()[1]
    return all([strategy.hit(item, prefix, str(user_id))
                for item in parse_many(current_app.config["RATELIMIT_ACCOUNT_MAIL"])])
