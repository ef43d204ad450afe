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
@click.option("--allow-reserved-name", is_flag=True,
              help="Staff only: the name may contain reserved words (RESERVED_NAMES, SITE_OWNER), "
                   "e.g. a moderator account named after its unit.")
@with_appcontext
def create_user_command(email: str, display_name: str, role: str, password: str, allow_reserved_name: bool) -> None:
    """Create an account, e.g. for staff: --role admin|moderator|case_officer|citizen.
    The e-mail address counts as verified (whoever runs the command vouches for it).
    The name is checked as at registration: no reserved words (unless
    --allow-reserved-name for staff) and nothing that looks like another account's name."""
    from hoering.accounts.services import create_user

    try:
        user = create_user(email, display_name, password, role, verified=True,
                           allow_reserved_name=allow_reserved_name)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@hoering_cli.command("reset-two-factor")
@click.option("--email", required=True, help="E-mail address of the account.")
@with_appcontext
def reset_two_factor_command(email: str) -> None:
    """Switch off two-factor login for an account whose owner lost both phone and
    recovery codes (also the only admin); they can switch it on again after logging in."""
    from hoering.accounts import twofactor
    from hoering.accounts.services import find_by_email

    user = find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    twofactor.reset(user)
    click.echo(f"Two-factor login is off for {user.email}; their sessions have ended.")


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
    if result.skipped_empty:
        click.echo(f"Left out {result.skipped_empty} comments with no text.")
    if result.counts_updated:
        click.echo(f"Updated the agree, disagree and pass counts of {result.counts_updated} comments imported before.")
    if result.voters is not None:
        click.echo(f"{result.voters} participants voted in the conversation.")


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

    from hoering.search.services import get_index, in_database, reindex

    try:
        count = reindex()
    except LockError:
        raise click.ClickException("Another process held the search index for a minute; try again.") from None
    click.echo(f"Indexed {count} documents in {'the database' if in_database() else get_index().path}.")


@hoering_cli.command("vectors")
@click.option("--slug", default=None, help="Only this consultation's comments (default: every comment).")
@click.option("--limit", type=int, default=None, help="Embed at most this many comments.")
@with_appcontext
def vectors_command(slug: str | None, limit: int | None) -> None:
    """Make the comment vectors (sentence embeddings) that are missing or out of date, ahead
    of the theme and near-duplicate analyses (they make the missing ones themselves too)."""
    import sqlalchemy as sa

    from hoering.consultations.models import Consultation
    from hoering.extensions import db
    from hoering.summaries.vectors import current_embedder, refresh_vectors

    consultation_id = None
    if slug is not None:
        consultation_id = db.session.scalar(sa.select(Consultation.id).where(Consultation.slug == slug))
        if consultation_id is None:
            raise click.ClickException(f"No consultation {slug!r}.")
    made = refresh_vectors(consultation_id, limit=limit)
    click.echo(f"Embedded {made} comments with {current_embedder().name}.")


@hoering_cli.command("search-check")
@with_appcontext
def search_check_command() -> None:
    """List documents missing from, stale in or extra in the search index; exit 1 if any."""
    from hoering.search.backend import SearchUnavailable
    from hoering.search.services import check

    try:
        result = check()
    except SearchUnavailable as error:
        raise click.ClickException(f"The search index cannot be read ({error}). Run `flask --app wsgi hoering "
                                   "reindex` to rebuild it from the database.") from None
    for label, keys in (("missing", result.missing), ("stale", result.stale), ("extra", result.extra)):
        for key in keys:
            click.echo(f"{label}: {key}")
    if not result.ok:
        raise click.ClickException(
            f"The index is out of step: {len(result.missing)} missing, {len(result.stale)} stale, "
            f"{len(result.extra)} extra. Run `flask --app wsgi hoering reindex`.")
    click.echo("The search index is in step with the database.")


@hoering_cli.command("documents-check")
@with_appcontext
def documents_check_command() -> None:
    """List attached documents whose file the document store (DOCUMENT_STORAGE) lacks; exit 1 if any."""
    from hoering.consultations.documents import documents_without_file
    from hoering.storage import StorageError, get_storage

    store = get_storage()
    try:
        missing = documents_without_file()
    except StorageError as error:
        raise click.ClickException(f"The document store cannot be read: {error}") from None
    for document in missing:
        click.echo(f"missing: document {document.id} ({document.filename}), file {document.content_hash}")
    if missing:
        raise click.ClickException(f"{len(missing)} documents have no file in the {store.kind} store.")
    click.echo(f"Every document has its file in the {store.kind} store.")


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


@hoering_cli.command("archive-package")
@click.argument("slug")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="ZIP file to write (default: arkivpakke-<slug>-<date>.zip in the current folder).")
@with_appcontext
def archive_package_command(slug: str, output: str | None) -> None:
    """Write the archive package of a closed consultation: its documents as PDF/A, the
    attachments, metadata structured after Noark 5 and a SHA-256 manifest (a ZIP file)."""
    from flask import current_app

    from hoering.consultations.services import get_by_slug
    from hoering.exports.archive_package import build_package, package_filename, package_zip

    consultation = get_by_slug(slug)
    if consultation is None:
        raise click.ClickException(f"No consultation with the address /hoeringer/{slug}.")
    try:  # the documents are rendered as for a request to the site
        with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
            package = build_package(consultation)
            data = package_zip(package)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    path = output or package_filename(consultation)
    with open(path, "wb") as file:
        file.write(data)
    documents = sum(len(entry.documents) for entry in package.entries)
    click.echo(f"Wrote {path}: {len(package.entries)} registry entries, {documents} documents, {len(data)} bytes.")


@hoering_cli.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json", "docx", "pdf", "pdfa"]),
              required=True, help="csv, xlsx or json: the comments; docx, pdf (PDF/UA, to read) or pdfa "
                                  "(PDF/A-3a, for the archive): the summary report.")
@click.option("--output", type=click.Path(dir_okay=False), default="-", show_default=True,
              help="File to write (- for standard output).")
@click.option("--all-states", is_flag=True,
              help="Comments: every state, as moderators get them (hidden, rejected and pending marked). "
                   "Default: published comments only.")
@click.option("--language", type=click.Choice(["nb", "nn", "en"]), default=None,
              help="Language of the report's labels (default: the site's language).")
@with_appcontext
def export_command(slug: str, fmt: str, output: str, all_states: bool, language: str | None) -> None:
    """Export a consultation's comments or its summary report to a file."""
    from flask import current_app
    from flask_babel import gettext as _

    from hoering.consultations.services import get_by_slug
    from hoering.exports.formats import consultation_meta, csv_chunks, json_chunks, xlsx_bytes
    from hoering.exports.pdf import ARCHIVE, READING, report_pdf
    from hoering.exports.report import build_report
    from hoering.exports.rows import COLUMN_LABELS, comment_rows
    from hoering.exports.word import report_docx
    from hoering.i18n import in_language
    from hoering.summaries.duplicates import group_numbers

    consultation = get_by_slug(slug)
    if consultation is None:
        raise click.ClickException(f"No consultation with the address /hoeringer/{slug}.")
    with in_language(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if fmt in ("docx", "pdf", "pdfa"):
            report = build_report(consultation, include_draft=True)
            body: bytes | str = (report_docx(report) if fmt == "docx"
                                 else report_pdf(report, ARCHIVE if fmt == "pdfa" else READING))
        else:
            rows = comment_rows(consultation, full=all_states, duplicate_groups=group_numbers(consultation))
            if fmt == "xlsx":
                body = xlsx_bytes(rows, _("Comments"), {name: str(label) for name, label in COLUMN_LABELS.items()})
            else:
                chunks = csv_chunks(rows) if fmt == "csv" else json_chunks(consultation_meta(consultation), rows)
                body = "".join(chunks).encode("utf-8")
    try:
        with click.open_file(output, "wb") as handle:
            handle.write(body)
    except OSError as error:
        raise click.ClickException(f"Cannot write {output}: {error.strerror or error}") from None
    if output != "-":
        click.echo(f"Wrote {len(body)} bytes to {output}.", err=True)


@hoering_cli.command("send-mail")
@click.option("--no-reminders", is_flag=True, help="Only deliver; do not queue deadline reminders and digests.")
@with_appcontext
def send_mail_command(no_reminders: bool) -> None:
    """Queue today's deadline reminders and moderator digest, then deliver the outbox
    (SMTP when MAIL_SMTP_HOST is set, else files in instance/mail). Safe to run often and
    in parallel: each mail is sent once."""
    from flask import current_app

    from hoering.alerts.services import delete_expired_requests
    from hoering.config import DefaultConfig
    from hoering.mail_sender import sender
    from hoering.notifications.services import deliver, queue_deadline_reminders, queue_moderator_digests

    site = current_app.config["SITE_URL"]
    click.echo(f"Sending from {sender(current_app.config)}; links point to {site}.")
    if site == DefaultConfig.SITE_URL:
        click.echo("SITE_URL is not configured: set it in instance/config.py or as HOERING_SITE_URL to the "
                   "address the site is served on, or the links in reminders lead to this default.", err=True)
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        if not no_reminders:
            reminders, digests, expired = queue_deadline_reminders(), queue_moderator_digests(), delete_expired_requests()
            click.echo(f"Queued {reminders} deadline reminders and {digests} digests; deleted {expired} expired alert requests.")
        sent, failed = deliver()
    click.echo(f"Sent {sent} mails; {failed} failed and stay in the outbox.")
    if failed:
        import sqlalchemy as sa

        from hoering.extensions import db
        from hoering.notifications.models import OutboxMail

        for error in db.session.scalars(sa.select(OutboxMail.last_error).where(
                OutboxMail.sent_at.is_(None), OutboxMail.last_error != "").distinct().limit(5)):
            click.echo(f"  {error}", err=True)
        raise SystemExit(1)


@hoering_cli.command("purge")
@with_appcontext
def purge_command() -> None:
    """Erase the text of rejected comments older than REJECTED_RETENTION_DAYS (the rows,
    and the moderation log, stay). Run it daily."""
    import datetime as dt

    import sqlalchemy as sa
    from flask import current_app

    from hoering.comments.models import Comment, CommentState
    from hoering.extensions import db
    from hoering.search.services import enqueue, process_pending
    from hoering.timeutil import utcnow

    days = current_app.config.get("REJECTED_RETENTION_DAYS")
    if days is None:
        click.echo("REJECTED_RETENTION_DAYS is not set: nothing erased.")
        return
    cutoff = utcnow() - dt.timedelta(days=int(days))
    ids = list(db.session.scalars(sa.select(Comment.id).where(
        Comment.state == CommentState.REJECTED.value, Comment.created_at < cutoff, Comment.body_text != "")))
    if ids:
        db.session.execute(sa.update(Comment).where(Comment.id.in_(ids)).values(body_text="", body_html=""))
        for comment_id in ids:
            enqueue("comment", comment_id)
        db.session.commit()
        process_pending()
    click.echo(f"Erased the text of {len(ids)} rejected comments older than {days} days.")


@hoering_cli.group("events")
def events_cli() -> None:
    """Domain events waiting for their subscribers (the event log)."""


@events_cli.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="Most deliveries to try.")
@click.option("--all", "everything", is_flag=True,
              help="Also those not yet due (waiting for a retry or for the process that announced them).")
@with_appcontext
def events_deliver_command(limit: int, everything: bool) -> None:
    """Deliver the events that are due (the app also does this now and then)."""
    import datetime as dt

    from hoering.eventlog import deliver_due
    from hoering.timeutil import utcnow

    now = utcnow() + (dt.timedelta(days=36500) if everything else dt.timedelta())
    delivered = deliver_due(limit=limit, now=now)
    click.echo(f"Delivered {delivered} events.")


@events_cli.command("status")
@with_appcontext
def events_status_command() -> None:
    """How many deliveries wait, and the oldest of them with their last errors."""
    from hoering.eventlog import count_waiting, waiting

    total, failed = count_waiting()
    click.echo(f"{total} deliveries waiting, {failed} of them failed at least once.")
    for row in waiting():
        error = f"  {row.last_error}" if row.last_error else ""
        click.echo(f"#{row.id} {row.event} -> {row.subscriber}: {row.attempts} failed attempts, "
                   f"next {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC{error}")


@hoering_cli.command("worker")
@click.option("--interval", default=1.0, show_default=True,
              help="Without Redis: seconds between two rounds when nothing waits.")
@click.option("--once", is_flag=True, help="Without Redis: one round, then stop.")
@click.option("--burst", is_flag=True, help="With Redis: run the queued jobs, then stop.")
@click.option("--sweep", "sweep_first", is_flag=True,
              help="With Redis: queue again what waits too long in the outbox tables first (as the periodic sweep does).")
@with_appcontext
def worker_command(interval: float, once: bool, burst: bool, sweep_first: bool) -> None:
    """The background worker beside the web servers (docs/DEPLOY.md).

    With Redis (REDIS_URL; JOBS_BACKEND not "inline"): an RQ worker on the queue
    JOBS_QUEUE runs the jobs the web servers queue after each commit (domain events,
    search index tasks, mail), one after the other in this process; every
    JOBS_SWEEP_SECONDS it queues again what waits too long in the outbox tables, and
    hourly the deadline reminders and moderator digests (each sent once a day).

    Without Redis: each round delivers the domain events that are due, applies the search
    index tasks and sends the mail outbox; once an hour it queues the deadline reminders
    and moderator digests (hoering/background.py). Set SEARCH_INDEX_INLINE to false and
    MAIL_SWEEP_SECONDS to 0 on the web servers when one runs.

    Run one or more (each item is handled once). Stops cleanly on SIGTERM or Ctrl+C, after
    the job or round under way."""
    import signal
    import time

    from flask import current_app

    from hoering import jobs
    from hoering.background import run_round, sweep
    from hoering.extensions import db

    if jobs.uses_redis():
        import redis

        try:
            if sweep_first:
                queued = sweep()
                db.session.remove()
                click.echo(f"Queued {queued} waiting items again.")
            worked = jobs.run_worker(burst=burst)
        except redis.RedisError as error:
            raise click.ClickException(f"Redis cannot be reached ({type(error).__name__}): check REDIS_URL.") from None
        if burst:
            click.echo("Ran the queued jobs." if worked else "No jobs were queued.")
        return

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    last_daily = -float("inf")
    while not stopping:
        did = 0
        try:
            daily = time.monotonic() - last_daily >= 3600
            did = run_round(queue_daily=daily)
            if daily:
                last_daily = time.monotonic()
        except KeyboardInterrupt:
            break
        except Exception:  # a database outage, say: log it and try again next round
            current_app.logger.exception("a round of the background worker failed")
            db.session.rollback()
        finally:
            db.session.remove()
        if did:
            click.echo(f"{did} items handled.")
        if once or burst:
            return
        if not did:
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                break


@hoering_cli.command("create-database")
@with_appcontext
def create_database_command() -> None:
    """Create the configured database if it is not there yet: a PostgreSQL database (on the
    server the URL names, as its user) or the folder of a SQLite file. `flask db upgrade`
    then makes the tables."""
    import os

    from hoering.database import create_postgresql_database
    from hoering.extensions import db

    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        if url.database:
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
        click.echo("SQLite: the database file is made on first use.")
        return
    if url.get_backend_name() != "postgresql":
        raise click.ClickException(f"Cannot create a {url.get_backend_name()} database; create it yourself.")
    try:
        created = create_postgresql_database(url)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created the database {url.database}." if created else f"The database {url.database} is there.")
