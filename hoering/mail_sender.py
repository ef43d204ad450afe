"""Who mails come from: the ``From`` header built from the configuration (``MAIL_FROM_NAME``,
``MAIL_FROM_ADDRESS``, ``MAIL_FROM``, ``SITE_URL``), and what is wrong with those settings."""

from __future__ import annotations

import ipaddress
from email.headerregistry import Address
from urllib.parse import urlsplit


def sender_address(config) -> str | None:
    """The address mails are sent from: ``MAIL_FROM_ADDRESS``, else ``noreply@`` and the
    host of ``SITE_URL`` when it is a domain name (not ``localhost``, not an IP address),
    else ``None``.

    Args:
        config: the app's config (a mapping).
    """
    if config.get("MAIL_FROM_ADDRESS"):
        return str(config["MAIL_FROM_ADDRESS"]).strip()
    host = urlsplit(str(config.get("SITE_URL") or "")).hostname or ""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if "." not in host or host.endswith((".localhost", ".local")):
        return None
    return f"noreply@{host}"


def check_sender(config, strict: bool) -> str | None:
    """What is wrong with the mail sender settings, or ``None``: an address that is not one;
    and, when ``strict`` (outside debug and testing) with ``MAIL_SMTP_HOST`` set, no sender
    (neither ``MAIL_FROM_ADDRESS``, ``MAIL_FROM`` nor a ``SITE_URL`` on a domain name)."""
    try:
        sender(config)
    except ValueError as error:
        return str(error)
    if strict and config.get("MAIL_SMTP_HOST") and not config.get("MAIL_FROM") and sender_address(config) is None:
        return ("Mail is sent through MAIL_SMTP_HOST but has no sender: set MAIL_FROM_ADDRESS (and MAIL_FROM_NAME) "
                "in instance/config.py or as HOERING_MAIL_FROM_ADDRESS, or SITE_URL to the site's https address.")
    return None


def sender(config) -> str:
    """The ``From`` header of every mail: ``MAIL_FROM`` as it is when set, else
    ``MAIL_FROM_NAME`` (or ``SITE_OWNER``) with :func:`sender_address`, encoded for the
    header (RFC 5322; a name with Norwegian letters is encoded by :mod:`email`). Without an
    address (a development set-up on ``127.0.0.1``), ``hoering@localhost.invalid``: the
    mails are written to files then, and the ``.invalid`` name (RFC 2606) can reach no one.

    Raises:
        ValueError: a configured address that is not ``local@domain``.
    """
    if config.get("MAIL_FROM"):
        return str(config["MAIL_FROM"])
    address = sender_address(config) or "hoering@localhost.invalid"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"MAIL_FROM_ADDRESS is not an e-mail address: {address!r}")
    name = config.get("MAIL_FROM_NAME") or config.get("SITE_OWNER") or "Hoering"
    return str(Address(display_name=str(name), username=local, domain=domain))
