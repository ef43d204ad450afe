"""Writes that stay correct when the same request arrives twice at the same moment.

A check followed by an insert ("is it there? no, then add it") lets two parallel requests
both see nothing and both insert, and the second fails on the unique constraint. Here the
database decides instead: ``INSERT … ON CONFLICT DO NOTHING`` (PostgreSQL ≥ 9.5 and SQLite ≥
3.35, the two databases Hoering runs on) adds the row or, when a row with the same unique
key exists or is being added by a parallel transaction, adds nothing and says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from hoering.extensions import db

#: The dialect-specific INSERT constructs that have ``on_conflict_do_nothing``.
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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
