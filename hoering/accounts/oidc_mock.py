"""``flask hoering oidc-mock``: a local OpenID Connect provider for trying ID-porten and the
staff login in development, PyPI ``oidc-provider-mock`` (a development dependency,
requirements-dev.txt, imported only when the command runs) with a citizen and one member
of staff per role. Never for production: it logs in whoever is chosen on its page."""

from __future__ import annotations

import json
import warnings

import click

#: The staff login's role claim values of the test users → Hoering roles.
ROLE_MAP = {"Hoering.Admin": "admin", "Hoering.Saksbehandler": "case_officer", "Hoering.Moderator": "moderator"}
#: ``(subject, claims)``: a citizen (with a made-up national identity number, which the
#: site must not store) and staff, one per role, and one with no role here.
USERS = (
    ("innbygger-1", {"pid": "24079412345", "acr": "idporten-loa-substantial", "amr": ["TestID"]}),
    ("ansatt-admin", {"roles": ["Hoering.Admin"], "name": "Ada Administrator", "email": "ada@fjordvik.example",
                      "amr": ["pwd", "mfa"]}),
    ("ansatt-saksbehandler", {"roles": ["Hoering.Saksbehandler"], "name": "Sara Saksbehandler",
                              "email": "sara@fjordvik.example", "amr": ["pwd", "mfa"]}),
    ("ansatt-moderator", {"roles": ["Hoering.Moderator"], "name": "Mona Moderator",
                          "email": "mona@fjordvik.example", "amr": ["pwd", "mfa"]}),
    ("ansatt-uten-rolle", {"roles": ["Alle.Ansatte"], "name": "Uno Utenrolle", "amr": ["pwd"]}),
)


def settings_for(issuer: str) -> list[str]:
    """The settings (``HOERING_…=…`` lines) that point the site at a provider at ``issuer``."""
    return [f"HOERING_IDPORTEN_ISSUER={issuer}", "HOERING_IDPORTEN_CLIENT_ID=hoering-local",
            "HOERING_IDPORTEN_CLIENT_SECRET=local-secret",  # the mock takes any secret, but wants one
            f"HOERING_STAFF_OIDC_ISSUER={issuer}", "HOERING_STAFF_OIDC_CLIENT_ID=hoering-staff-local",
            "HOERING_STAFF_OIDC_CLIENT_SECRET=local-secret",
            f"HOERING_STAFF_OIDC_ROLE_MAP='{json.dumps(ROLE_MAP)}'"]


@click.command("oidc-mock")
@click.option("--port", default=8765, show_default=True, help="Port on localhost.")
def oidc_mock_command(port: int) -> None:
    """Run a local OpenID Connect provider on localhost for trying ID-porten and the staff
    login (development only). Prints the settings that point the site at it."""
    import werkzeug.serving

    with warnings.catch_warnings():  # it imports Authlib's deprecated JOSE module
        warnings.simplefilter("ignore")
        try:
            import oidc_provider_mock
        except ImportError:
            raise click.ClickException("oidc-provider-mock is not installed: "
                                       "pip install -r requirements-dev.txt") from None
        provider = oidc_provider_mock.app(require_nonce=True, user_claims=[
            oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in USERS])
    click.echo("Set these (in the environment, or without HOERING_ in instance/config.py) and restart the site:")
    for line in settings_for(f"http://localhost:{port}"):
        click.echo("  " + line)
    click.echo("Subjects to log in as: " + ", ".join(sub for sub, _claims in USERS))
    werkzeug.serving.run_simple("localhost", port, provider, threaded=True)
