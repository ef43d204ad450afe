"""OpenID Connect logins: ID-porten for citizens, the municipality's own identity provider
for staff. The protocol is Authlib's (its Flask client over ``requests``): discovery
(``/.well-known/openid-configuration``), the authorization code flow with PKCE (S256),
``state`` and ``nonce``, and the ID token checked for signature (the provider's JWKS),
issuer, audience, expiry and nonce (OpenID Connect Core 1.0 §3.1.3.7).

This module speaks to the providers and keeps the flow's secrets in the session; it
writes nothing to the database (:mod:`hoering.accounts.external` does, with the subject
alone). What a provider asserts comes back as an :class:`Assertion` that holds only what
the site uses: the ID-porten national identity number (``pid``) is never read out of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, request, session
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError

from hoering.accounts import throttle
from hoering.accounts.policy import PROVIDER_SECOND_FACTOR_KEY
from hoering.exceptions import ServiceError, Unavailable
from hoering.i18n import current_language_code
from hoering.security import FORM_ACTION_EXTENSION
from hoering.urls import site_url_for

log = logging.getLogger(__name__)

#: The providers: ID-porten (citizens) and the staff login.
IDPORTEN, STAFF = "idporten", "staff"
#: Each provider's part of the site's addresses (``/logg-inn/<slug>``).
SLUGS = {IDPORTEN: "idporten", STAFF: "ansatt"}
PROVIDER_OF_SLUG = {slug: name for name, slug in SLUGS.items()}
#: Session key of the login under way (one per browser: pressing a button again replaces it).
FLOW_KEY = "oidc_flow"
#: Session key of what logging out needs: the provider and the sealed ID token.
LOGOUT_KEY = "oidc_logout"
#: Session key of the account whose login the provider confirmed with a second factor.
MFA_KEY = PROVIDER_SECOND_FACTOR_KEY
#: The longest sealed ID token kept for logging out: the session cookie must stay under 4 KB.
SEALED_TOKEN_MAX_CHARS = 2600


class LoginFailed(ServiceError):
    """The provider's answer cannot log anyone in: cancelled, a state or nonce that does
    not belong to this browser, or a token that fails its checks (HTTP 400)."""

    status = 400


@dataclass(frozen=True)
class ProviderSettings:
    """One provider's configuration (docs/CONFIGURATION.md).

    Attributes:
        name: ``"idporten"`` or ``"staff"``.
        issuer: the issuer identifier; the discovery document must name exactly this one.
        client_id, client_secret: the site's client at the provider.
        scopes: space-separated scopes, ``openid`` among them.
        acr_values: the ``acr_values`` asked for ("" for none).
        mfa_acr, mfa_amr: ``acr`` and ``amr`` values that show a second factor was used.
        timeout: seconds to wait for each request to the provider.
    """

    name: str
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    acr_values: str
    mfa_acr: tuple[str, ...]
    mfa_amr: tuple[str, ...]
    timeout: float


@dataclass(frozen=True)
class Assertion:
    """What a provider confirmed about the person, reduced to what the site uses.

    Attributes:
        provider: ``"idporten"`` or ``"staff"``.
        issuer: the configured issuer (the token's ``iss`` was checked against it).
        subject: the ``sub`` claim.
        second_factor: the provider says a second factor was used (``acr``/``amr``).
        purpose: ``"login"`` or ``"link"`` (linking the provider to the logged-in account).
        next_url: a local path to go to afterwards.
        id_token: the raw ID token, for ``id_token_hint`` at logout only; never stored
            but sealed in the session (:func:`remember_for_logout`).
        roles: staff login only: the values of the role claim; empty for ID-porten.
        name, email: staff login only: the ``name`` and ``email`` claims; ``None`` for ID-porten.
    """

    provider: str
    issuer: str
    subject: str
    second_factor: bool
    purpose: str
    next_url: str
    id_token: str = field(repr=False)
    roles: tuple[str, ...] = ()
    name: str | None = None
    email: str | None = None


def _name_label(name: str):
    return _l("ID-porten") if name == IDPORTEN else _l("the staff login")


def settings(name: str) -> ProviderSettings | None:
    """The settings of provider ``name``, or ``None`` when it is not configured (no issuer
    or no client id): then its buttons and routes are off."""
    config = current_app.config
    prefix = "IDPORTEN" if name == IDPORTEN else "STAFF_OIDC" if name == STAFF else None
    if prefix is None or not config.get(f"{prefix}_ISSUER") or not config.get(f"{prefix}_CLIENT_ID"):
        return None
    return ProviderSettings(
        name=name, issuer=str(config[f"{prefix}_ISSUER"]), client_id=str(config[f"{prefix}_CLIENT_ID"]),
        client_secret=config.get(f"{prefix}_CLIENT_SECRET") or None,
        scopes=_with_openid(str(config.get(f"{prefix}_SCOPES") or "")),
        acr_values=str(config.get(f"{prefix}_ACR_VALUES") or ""),
        mfa_acr=tuple(config.get(f"{prefix}_MFA_ACR") or ()), mfa_amr=tuple(config.get(f"{prefix}_MFA_AMR") or ()),
        timeout=float(config["OIDC_TIMEOUT_SECONDS"]))


def _with_openid(scopes: str) -> str:
    """``scopes`` with ``openid`` among them: without it the provider sends no ID token."""
    return scopes if "openid" in scopes.split() else " ".join(["openid", *scopes.split()])


def is_configured(name: str) -> bool:
    """True when provider ``name`` (``"idporten"`` or ``"staff"``) is configured."""
    return settings(name) is not None


def login_buttons() -> list[tuple[str, str]]:
    """``(slug, label)`` of each configured provider, for the login page: "Logg inn med
    ID-porten", "Logg inn for ansatte" (or ``IDPORTEN_LABEL``, ``STAFF_OIDC_LABEL``)."""
    config = current_app.config
    buttons = []
    if is_configured(IDPORTEN):
        buttons.append((SLUGS[IDPORTEN], config.get("IDPORTEN_LABEL") or str(_l("Log in with ID-porten"))))
    if is_configured(STAFF):
        buttons.append((SLUGS[STAFF], config.get("STAFF_OIDC_LABEL") or str(_l("Log in for staff"))))
    return buttons


def _client(provider: ProviderSettings) -> FlaskOAuth2App:
    """The Authlib client of ``provider``, one per application and configuration: it
    keeps the discovery document and the keys once fetched (and fetches the keys again
    when a token is signed with a key it does not know: the provider rotated them)."""
    clients = current_app.extensions.setdefault("hoering.oidc", {})
    client = clients.get(provider)
    if client is None:
        client = FlaskOAuth2App(
            FlaskIntegration(provider.name), provider.name, client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256",
                           "token_endpoint_auth_method": "client_secret_basic" if provider.client_secret else "none",
                           "default_timeout": provider.timeout})
        clients[provider] = client
    return client


def _metadata(provider: ProviderSettings) -> dict:
    """The provider's discovery document, checked to name the configured issuer
    (OpenID Connect Discovery 1.0 §4.3).

    Raises:
        Unavailable: the provider cannot be reached or answers with an error.
    """
    client = _client(provider)
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        log.warning("OpenID Connect discovery of %s failed: %s", provider.issuer, error)
        raise Unavailable(_unreachable(provider.name)) from None
    if metadata.get("issuer") != provider.issuer:
        log.error("the discovery document of %s names the issuer %r", provider.issuer, metadata.get("issuer"))
        client.server_metadata.clear()  # read it again next time
        raise Unavailable(_unreachable(provider.name))
    # The login buttons' redirect goes there: the pages' form-action must allow it.
    endpoint = urlsplit(str(metadata.get("authorization_endpoint") or ""))
    if endpoint.scheme in ("http", "https") and endpoint.netloc and all(c not in endpoint.netloc for c in " ;,'\""):
        known = current_app.extensions.setdefault(FORM_ACTION_EXTENSION, [])
        if f"{endpoint.scheme}://{endpoint.netloc}" not in known:
            known.append(f"{endpoint.scheme}://{endpoint.netloc}")
    return metadata


def _unreachable(name: str):
    return _l("%(provider)s cannot be reached just now. Try again in a little while, or log in with your e-mail "
              "address and password.", provider=_name_label(name))


def callback_url(name: str) -> str:
    """The redirect URI of provider ``name``: always on ``SITE_URL``, never on the Host
    header a request came with (it must match what is registered at the provider)."""
    return site_url_for("accounts.oidc_callback", service=SLUGS[name])


def begin(name: str, purpose: str, next_url: str) -> str:
    """Start a login at provider ``name`` (no database writes): make ``state``, ``nonce``
    and a PKCE code verifier, keep them in the session, and return the address of the
    provider's authorization endpoint to send the browser to.

    Args:
        name: ``"idporten"`` or ``"staff"``.
        purpose: ``"login"``, or ``"link"`` to link the provider to the logged-in account.
        next_url: a local path to go to afterwards (checked by the caller).

    Raises:
        LookupError: the provider is not configured.
        Unavailable: the provider cannot be reached (discovery).
    """
    provider = settings(name)
    if provider is None:
        raise LookupError(name)
    _metadata(provider)
    extra = {"ui_locales": current_language_code()}
    if provider.acr_values:
        extra["acr_values"] = provider.acr_values
    redirect_uri = callback_url(name)
    try:
        made = _client(provider).create_authorization_url(redirect_uri, **extra)
    except (requests.RequestException, AuthlibBaseError, RuntimeError) as error:
        log.warning("OpenID Connect authorization request for %s failed: %s", provider.issuer, error)
        raise Unavailable(_unreachable(name)) from None
    session[FLOW_KEY] = {"provider": name, "state": made["state"], "nonce": made["nonce"],
                         "verifier": made["code_verifier"], "redirect_uri": redirect_uri, "purpose": purpose,
                         "next": next_url, "at": int(time.time())}
    return made["url"]


def finish(name: str) -> Assertion:
    """Complete the login the provider sent the browser back from (the query string of
    the callback): check ``state`` against the session, exchange the code with the PKCE
    verifier, and check the ID token (signature with the provider's keys, ``iss``,
    ``aud``, ``exp``, ``iat``, ``nonce``, ``at_hash``). A nonce is accepted once: a
    second answer with it (a replayed login, an old session cookie) is refused.

    Raises:
        LookupError: the provider is not configured.
        LoginFailed: cancelled at the provider, no login under way in this browser (or
            another provider's, or too old), a wrong ``state``, a nonce used before, or a
            token that fails its checks.
        Unavailable: the provider cannot be reached, or its token endpoint fails.
    """
    provider = settings(name)
    if provider is None:
        raise LookupError(name)
    flow = session.pop(FLOW_KEY, None)
    if request.args.get("error"):
        log.info("login at %s not completed: %s", provider.issuer, request.args.get("error")[:100])
        raise LoginFailed(_l("The login at %(provider)s was cancelled or did not succeed. You can try again.",
                             provider=_name_label(name)))
    state = request.args.get("state", "")
    if (not isinstance(flow, dict) or flow.get("provider") != name
            or time.time() - flow.get("at", 0) > current_app.config["OIDC_LOGIN_MAX_SECONDS"]
            or not hmac.compare_digest(str(flow.get("state", "")), state)):
        raise LoginFailed(_l("The login could not be completed: it was started in another window, or it took too "
                             "long. Start again."))
    code = request.args.get("code", "")
    if not code:
        raise LoginFailed(_l("The login could not be completed: it was started in another window, or it took too "
                             "long. Start again."))
    _metadata(provider)
    client = _client(provider)
    try:
        token = client.fetch_access_token(redirect_uri=flow["redirect_uri"], code=code[:2000],
                                          code_verifier=flow["verifier"])
    except requests.RequestException as error:
        log.warning("the token endpoint of %s cannot be reached: %s", provider.issuer, error)
        raise Unavailable(_unreachable(name)) from None
    except (AuthlibBaseError, ValueError) as error:
        log.warning("the token endpoint of %s refused the code: %s", provider.issuer, error)
        raise LoginFailed(_refused(name)) from None
    if "id_token" not in token:
        log.warning("the token endpoint of %s sent no ID token", provider.issuer)
        raise LoginFailed(_refused(name))
    try:
        claims = client.parse_id_token(token, nonce=flow["nonce"], claims_options={
            "iss": {"essential": True, "values": [provider.issuer]},
            "aud": {"essential": True, "values": [provider.client_id]},
            "sub": {"essential": True}, "exp": {"essential": True}})
    except requests.RequestException as error:
        log.warning("the keys of %s cannot be fetched: %s", provider.issuer, error)
        raise Unavailable(_unreachable(name)) from None
    except (JoseError, AuthlibBaseError, ValueError, KeyError, RuntimeError) as error:
        log.warning("an ID token from %s failed its checks: %s", provider.issuer, type(error).__name__)
        raise LoginFailed(_refused(name)) from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise LoginFailed(_refused(name))
    # A nonce works once on this site, whatever cookie comes with it.
    if not throttle.spend_once("oidc-nonce:" + hashlib.sha256(flow["nonce"].encode()).hexdigest(),
                               2 * current_app.config["OIDC_LOGIN_MAX_SECONDS"]):
        log.warning("a nonce from %s came back a second time", provider.issuer)
        raise LoginFailed(_l("This login has been used already. Start again."))
    amr = claims.get("amr") if isinstance(claims.get("amr"), list) else []
    second_factor = (claims.get("acr") in provider.mfa_acr) or bool(set(map(str, amr)) & set(provider.mfa_amr))
    if name == IDPORTEN:
        # Only the subject: pid and every other claim stay behind.
        return Assertion(IDPORTEN, provider.issuer, subject, second_factor, flow["purpose"], flow["next"],
                         token["id_token"])
    return Assertion(STAFF, provider.issuer, subject, second_factor, flow["purpose"], flow["next"], token["id_token"],
                     roles=_values(claims.get(current_app.config["STAFF_OIDC_ROLE_CLAIM"])),
                     name=_text(claims.get("name")), email=_text(claims.get("email")))


def _refused(name: str):
    return _l("The answer from %(provider)s could not be verified, so you are not logged in. Start again.",
              provider=_name_label(name))


def _values(claim) -> tuple[str, ...]:
    """A role claim as strings: a list of values, or one value (several separated by spaces)."""
    if isinstance(claim, list):
        return tuple(str(value) for value in claim if isinstance(value, str | int))
    if isinstance(claim, str):
        return tuple(claim.split())
    return ()


def _text(claim) -> str | None:
    return claim.strip()[:254] or None if isinstance(claim, str) else None


# --- what logging out needs ----------------------------------------------------------------------

def _fernet() -> Fernet:
    """The key that seals the ID token in the session, derived from ``SECRET_KEY``."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"hoering oidc logout\0" + secret).digest()))


def remember_for_logout(assertion: Assertion, user_id: str) -> None:
    """Keep what logging out at the provider needs in the session: the provider, and the
    ID token encrypted (AES with HMAC, Fernet) under a key derived from ``SECRET_KEY``, so
    that the session cookie, which a browser can read, does not show its claims (an
    ID-porten token holds the national identity number). Nothing goes to the database.
    Also notes whether the provider confirmed a second factor for this account.

    Args:
        assertion: the completed login.
        user_id: the logged-in account's Flask-Login id (``"<id>.<session version>"``).
    """
    sealed = _fernet().encrypt(assertion.id_token.encode("utf-8")).decode("ascii")
    session[LOGOUT_KEY] = {"provider": assertion.provider,
                           "token": sealed if len(sealed) <= SEALED_TOKEN_MAX_CHARS else None}
    if assertion.second_factor:
        session[MFA_KEY] = user_id
    else:
        session.pop(MFA_KEY, None)


def logout_redirect() -> str | None:
    """Pop what the login left in the session and return the provider's end-session
    address (OpenID Connect RP-Initiated Logout 1.0: ``id_token_hint``,
    ``post_logout_redirect_uri`` = ``SITE_URL`` + ``/logget-ut``, ``client_id``), or
    ``None`` when the person did not log in at a provider, it is no longer configured, or
    it cannot be reached (the person is logged out here all the same)."""
    session.pop(MFA_KEY, None)
    kept = session.pop(LOGOUT_KEY, None)
    if not isinstance(kept, dict):
        return None
    provider = settings(str(kept.get("provider")))
    if provider is None:
        return None
    try:
        metadata = _metadata(provider)
    except Unavailable:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    id_token = None
    if kept.get("token"):
        try:
            id_token = _fernet().decrypt(str(kept["token"]).encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            id_token = None
    made = _client(provider).create_logout_url(post_logout_redirect_uri=site_url_for("accounts.logged_out"),
                                               id_token_hint=id_token, client_id=provider.client_id)
    return made["url"]
