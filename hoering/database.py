"""Database plumbing: connections that survive an outage, a scratch PostgreSQL database,
and writes that stay correct when the same request arrives twice at the same moment.

A check followed by an insert ("is it there? no, then add it") lets two parallel requests
both see nothing and both insert, and the second fails on the unique constraint. Here the
database decides instead: ``INSERT … ON CONFLICT DO NOTHING`` (PostgreSQL ≥ 9.5 and SQLite ≥
3.35, the two databases Hoering runs on) adds the row or, when a row with the same unique
key exists or is being added by a parallel transaction, adds nothing and says so.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from hoering.extensions import db

#: ``ConnectionPoolEntry.info`` key: when the connection was last returned to the pool
#: (``time.monotonic()`` seconds).
_RETURNED_AT = "hoering.returned_at"


#: The engines of the apps created in this process (for :func:`forget_inherited_connections`).
_ENGINES: weakref.WeakSet = weakref.WeakSet()


def forget_inherited_connections() -> None:
    """In a process just forked from one that created the app (a gunicorn worker of a
    preloaded app, :mod:`hoering.serving`): drop every engine's pool without closing its
    connections, which belong to the parent, so this process opens its own (SQLAlchemy's
    "Using Connection Pools with Multiprocessing or os.fork()")."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


def track(engine: sa.Engine) -> None:
    """Remember ``engine`` as one of this process's (for :func:`forget_inherited_connections`)."""
    _ENGINES.add(engine)


def ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Test a pooled connection of ``engine`` with the dialect's ping (``SELECT 1``) when it
    is taken from the pool after resting more than ``idle_seconds`` seconds; a dead one is
    thrown away and the pool connects afresh (SQLAlchemy's "custom pessimistic ping" recipe:
    raising ``DisconnectionError`` from a ``checkout`` event makes the pool retry).

    A connection in busy use is not tested: if the database went away meanwhile, the
    statement fails, the request is answered 503 (:mod:`hoering.outage`), and SQLAlchemy
    invalidates every connection of the pool made before the failure. Testing every
    checkout instead (``pool_pre_ping``) costs a round trip a request.

    Args:
        engine: the engine whose pool to watch.
        idle_seconds: seconds of rest after which a connection is tested.
    """
    dialect = engine.dialect

    @sa.event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, connection_record) -> None:
        connection_record.info[_RETURNED_AT] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, connection_record, connection_proxy) -> None:
        returned_at = connection_record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # new, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # whatever the driver raises for a dead connection
            raise sa.exc.DisconnectionError(f"connection found dead after {idle_seconds:g} s idle") from error


#: The dialect-specific INSERT constructs that have ``on_conflict_do_nothing``.
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def reads_in_autocommit() -> bool:
    """Put the request's session on a connection in autocommit, for a request that only
    reads: no ``BEGIN`` before its first statement and no ``ROLLBACK`` after its last,
    which on PostgreSQL are network round trips of their own. Each statement then sees
    what is committed when it runs, as it does anyway under PostgreSQL's default
    ``READ COMMITTED``; the connection is set back when the session returns it to the pool.

    Call it before anything of the request uses the session. Returns False, changing
    nothing, when the session has already begun (a read before would be left inside a
    transaction).
    """
    if db.session().in_transaction():
        return False
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def insert_unless_present(model: type, values: Mapping[str, object], unique: Sequence[str]) -> bool:
    """Insert one row of ``model`` in the session's transaction, unless a row with the same
    values in the ``unique`` columns exists.

    On PostgreSQL a parallel transaction that inserted the same key and has not committed
    yet is waited for: if it commits, nothing is inserted here; if it rolls back, this row
    is. On SQLite writers take turns, so the check and the insert are one step.

    Args:
        model: the mapped class (its Python-side column defaults apply).
        values: column name → value for the new row.
        unique: the column names of a unique constraint or primary key of the table.

    Returns:
        True if this call inserted the row, False if the row was there.

    Raises:
        NotImplementedError: the session is bound to a database other than PostgreSQL or
            SQLite.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"insert_unless_present does not support {dialect}")
    table = model.__table__
    # RETURNING names the row only if it was inserted; the row count is no use here (the
    # psycopg driver reports -1 for an INSERT with RETURNING).
    statement = (_INSERTS[dialect](table).values(**values).on_conflict_do_nothing(index_elements=list(unique))
                 .returning(*table.primary_key.columns))
    return db.session.execute(statement).first() is not None


def create_postgresql_database(url: sa.URL | str) -> bool:
    """Create the PostgreSQL database ``url`` names unless it exists, connecting to the
    server's ``postgres`` database as the URL's user (who needs the CREATEDB right).

    Args:
        url: a SQLAlchemy URL of a PostgreSQL database.

    Returns:
        True when it was created, False when it was there.

    Raises:
        ValueError: the name holds other characters than letters, digits and underscores
            (it is written into the statement).
        sqlalchemy.exc.SQLAlchemyError: the server cannot be reached or refuses.
    """
    url = sa.engine.make_url(url)
    name = url.database or ""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError("The database name may hold only letters, digits and underscores.")
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).scalar():
                return False
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            return True
    finally:
        engine.dispose()
