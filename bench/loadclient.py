"""The citizens of ``bench/loadtest.py``: HTTP clients that keep their cookies, log in
through the login form and post through the comment form of the consultation page, as a
browser does (stdlib ``http.client``, one connection per request, so a killed server
process costs one request and no pooled connection).
"""

from __future__ import annotations

import html
import http.client
import http.cookies
import re
import threading
import urllib.parse
from dataclasses import dataclass, field

#: Seconds a request may take: a burst queues hundreds of requests behind two workers.
TIMEOUT = 120

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
COMMENT_FORM = re.compile(r'<form class="comment-form".*?</form>', re.S)
KEPT_FORM = re.compile(r'<form class="kept-form" method="post" action="([^"]+)">(.*?)</form>', re.S)
TEXTAREA = re.compile(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', re.S)

#: What a connection that breaks (a server process killed mid-request) raises.
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, TimeoutError, OSError)


@dataclass
class Answer:
    """An HTTP answer: ``status``, ``headers`` (lower-case names) and ``body`` as text."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Form:
    """A form as the page gave it: where it posts and its fields (name → value)."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)


class Client:
    """One visitor with a cookie jar, talking to ``base`` (``http://127.0.0.1:PORT``).
    Safe to use from several threads (the jar is locked)."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        """One request; ``form`` is sent url-encoded. Cookies the answer sets are kept.

        Raises:
            OSError, http.client.HTTPException: the connection broke or timed out.
        """
        headers = {"Accept-Language": "nb"}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                self._keep(header)
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def _keep(self, header: str) -> None:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        with self.lock:
            for name, morsel in jar.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def login(self, email: str, password: str) -> None:
        """Log in through the login form.

        Raises:
            RuntimeError: the form does not answer with a redirect.
        """
        page = self.request("GET", "/logg-inn")
        token = CSRF.search(page.body)
        if page.status != 200 or token is None:
            raise RuntimeError(f"the login page answered {page.status}")
        answer = self.request("POST", "/logg-inn", {"csrf_token": token.group(1), "email": email, "password": password})
        if answer.status != 303:
            raise RuntimeError(f"logging in as {email} answered {answer.status}")

    def comment_form(self, slug: str) -> Form:
        """The comment form of consultation ``slug``'s page, as the page gives it (its CSRF
        token and its submission key).

        Raises:
            RuntimeError: the page has no comment form.
        """
        page = self.request("GET", f"/hoeringer/{slug}")
        match = COMMENT_FORM.search(page.body)
        if page.status != 200 or match is None:
            raise RuntimeError(f"the page of {slug} answered {page.status} without a comment form")
        fields = dict(HIDDEN.findall(match.group(0)))
        fields["csrf_token"] = CSRF.search(match.group(0)).group(1)
        return Form(f"/hoeringer/{slug}/kommentarer", {name: html.unescape(v) for name, v in fields.items()})


def kept_form(body: str) -> tuple[Form, str] | None:
    """The form of an outage page (503) that gives the text back: the form (its hidden
    fields) and the text in its text area; ``None`` when the page has none."""
    match = KEPT_FORM.search(body)
    if match is None:
        return None
    text = TEXTAREA.search(match.group(2))
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(match.group(2))}
    return Form(html.unescape(match.group(1)), fields), html.unescape(text.group(1)) if text else ""
