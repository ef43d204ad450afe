"""A local OpenID Connect provider for the tests: PyPI ``oidc-provider-mock`` served over real
HTTP on a free port of ``localhost``, in a thread, with a thin WSGI layer in front that

- checks PKCE as a strict provider does (the mock itself ignores ``code_challenge``): the
  token request must carry the verifier whose S256 hash the authorization request named;
- can answer with a nonce other than the one asked for (``nonce_override``), and forget
  the nonces it has seen (``forget_nonces``), to play a provider or an attacker that
  hands out a second token for an old login.

The mock lets a test choose the subject and the claims (``set_user``) and logs in whoever
is posted to its authorization endpoint (``authorize``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import warnings
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import werkzeug.serving
from flask import g, request

with warnings.catch_warnings():  # the mock imports Authlib's deprecated JOSE module
    warnings.simplefilter("ignore")
    import oidc_provider_mock


class StrictLayer:
    """WSGI middleware around the mock (see the module docstring)."""

    def __init__(self, app):
        self.app = app
        self.challenges: dict[str, tuple[str, str]] = {}
        self.pending_challenge: tuple[str, str] | None = None
        self.token_requests: list[dict] = []
        self.authorize_requests: list[dict] = []
        self.nonce_override: str | None = None
        self.forget_nonces = False
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if environ["REQUEST_METHOD"] == "GET":
                self.authorize_requests.append({k: v[0] for k, v in query.items()})
            if self.nonce_override is not None and "nonce" in query:
                query["nonce"] = [self.nonce_override]
                environ["QUERY_STRING"] = urlencode(query, doseq=True)
            challenge = (query.get("code_challenge", [""])[0], query.get("code_challenge_method", [""])[0])

            def remember_code(status, headers, exc_info=None):
                for name, value in headers:
                    if name.lower() == "location":
                        code = parse_qs(urlsplit(value).query).get("code", [None])[0]
                        if code:
                            with self.lock:
                                self.challenges[code] = challenge
                return start_response(status, headers, exc_info)

            if self.forget_nonces:
                environ["oidc.forget_nonces"] = True
            return self.app(environ, remember_code)
        if path == "/oauth2/token" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.token_requests.append(form)
            challenge, method = self.challenges.get(form.get("code", ""), ("", ""))
            verifier = form.get("code_verifier", "")
            expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if method != "S256" or not verifier or challenge != expected:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"error": "invalid_grant", "error_description": "PKCE verification failed"}']
        return self.app(environ, start_response)


class MockProvider:
    """The running provider: ``issuer``, and helpers that act as its users do."""

    def __init__(self, require_nonce: bool = True):
        self.flask_app = oidc_provider_mock.app(require_nonce=require_nonce)

        @self.flask_app.before_request
        def _forget_nonces():
            if request.environ.get("oidc.forget_nonces"):
                g.oidc_provider_mock_storage._nonces.clear()

        self.layer = StrictLayer(self.flask_app.wsgi_app)
        self.flask_app.wsgi_app = self.layer
        self.server = werkzeug.serving.make_server("localhost", 0, self.flask_app, threaded=True)
        self.issuer = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2)

    def set_user(self, sub: str, claims: dict) -> None:
        """The claims the provider puts in the ID token of ``sub``."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorize_url: str, sub: str) -> str:
        """Log ``sub`` in at the authorization endpoint; returns the redirect back to the site."""
        assert authorize_url.startswith(self.issuer + "/oauth2/authorize?"), authorize_url
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


def local_path(url: str) -> str:
    """The path and query of an address on the site (the redirect URI is on ``SITE_URL``)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
