"""The ``flask --app wsgi hoering …`` command group. Commands call services only."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from hoering.accounts.models import Role
from hoering.exceptions import ServiceError


@click.group("hoering")
def hoering_cli() -> None:
    """Hoering administration commands."""


@hoering_cli.command("create-user")
@click.option("--email", required=True, help="E-mail address (login).")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CITIZEN.value, show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (at least 10 characters); asked for when not given.")
@with_appcontext
def create_user_command(email: str, display_name: str, role: str, password: str) -> None:
    """Create an account, e.g. for staff: --role admin|moderator|case_officer|citizen."""
    from hoering.accounts.services import create_user

    try:
        user = create_user(email, display_name, password, role)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@hoering_cli.command("import-polis")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--language", default=None, help="Content language (nb, nn, en, de, zh-Hant); detected if omitted.")
@click.option("--all-pending", is_flag=True,
              help="Ignore the moderated column: every comment waits in the moderation queue.")
@with_appcontext
def import_polis_command(directory: str, language: str | None, all_pending: bool) -> None:
    """Import a Polis open-data export folder as one consultation (idempotent)."""
    from hoering.imports.polis import PolisFormatError, import_polis

    try:
        result = import_polis(directory, language=language, all_pending=all_pending)
    except PolisFormatError as error:
        raise click.ClickException(f"Not a Polis export: {error}") from None
    from hoering.search.services import process_pending

    process_pending()
    verb = "Created" if result.created else "Already imported"
    click.echo(f"{verb} consultation '{result.title}' at /hoeringer/{result.slug}")
    click.echo(
        f"Added {result.comments_added} comments ({result.published} published, {result.rejected} rejected, "
        f"{result.pending} pending) and {result.participants_added} pseudonymous participant accounts."
    )


@hoering_cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo municipality (Fjordvik kommune) unless it is already there."""
    from hoering.demo import DEMO_ACCOUNTS, load_demo
    from hoering.search.services import process_pending

    loaded = load_demo()
    process_pending()
    click.echo("Loaded the demo content." if loaded else "The demo content is already there; nothing changed.")
    click.echo("Demo accounts (e-mail / password / role):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email}  {account.password}  {account.role}")


@hoering_cli.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from the database."""
    from whoosh.index import LockError

    from hoering.search.services import get_index, reindex

    try:
        count = reindex()
    except LockError:
        raise click.ClickException("Another process held the search index for a minute; try again.") from None
    click.echo(f"Indexed {count} documents in {get_index().path}.")


@hoering_cli.command("search-check")
@with_appcontext
def search_check_command() -> None:
    """List documents missing from, stale in or extra in the search index; exit 1 if any."""
    from hoering.search.services import check

    result = check()
    for label, keys in (("missing", result.missing), ("stale", result.stale), ("extra", result.extra)):
        for key in keys:
            click.echo(f"{label}: {key}")
    if not result.ok:
        raise click.ClickException(
            f"The index is out of step: {len(result.missing)} missing, {len(result.stale)} stale, "
            f"{len(result.extra)} extra. Run `flask --app wsgi hoering reindex`.")
    click.echo("The search index is in step with the database.")


@hoering_cli.command("index-worker")
@click.option("--once", is_flag=True, help="Apply the pending tasks and stop.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between looks for new tasks.")
@with_appcontext
def index_worker_command(once: bool, interval: float) -> None:
    """Apply search index tasks as they arrive (use with SEARCH_INDEX_INLINE off)."""
    import time

    from hoering.extensions import db
    from hoering.search.services import process_pending

    while True:
        applied = process_pending()
        db.session.remove()
        if applied:
            click.echo(f"Applied {applied} index tasks.")
        if once:
            return
        time.sleep(interval)
