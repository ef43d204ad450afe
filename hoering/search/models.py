"""The index task queue (Whoosh: every write that changes searchable content adds a row in
the same database transaction; the rows are applied to the index after commit, DESIGN §4)
and the search documents of the PostgreSQL backend."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class IndexTask(db.Model):
    """"Bring the index entry of this object up to date" (or remove it).

    ``doc_type`` is ``comment``, ``consultation`` or ``consultation_comments`` (every comment
    of a consultation, e.g. after its language changed).
    """

    __tablename__ = "index_task"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(30))
    doc_id: Mapped[int] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


#: The stored text-search vector: ``tsvector`` on PostgreSQL; a plain, never written text
#: column elsewhere (the table is used only with ``SEARCH_BACKEND = "postgresql"``).
TSVectorColumn = sa.Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocument(db.Model):
    """One searchable comment or consultation, for the PostgreSQL search backend.

    Written in the same transaction as the change it reflects
    (:mod:`hoering.search.postgresql`). ``config`` is the text-search configuration its
    text was analyzed with (``norwegian``, ``english`` or ``simple``, by ``language``);
    ``tsv`` holds the consultation title and the text (weight B) and the author's name (D),
    and has a GIN index. ``body`` is the plain text that snippets are cut from; ``stamp``
    is :attr:`hoering.search.backend.IndexDocument.stamp` (``search-check`` compares it).
    """

    __tablename__ = "search_document"
    __table_args__ = (
        sa.UniqueConstraint("doc_type", "doc_id"),
        sa.Index("ix_search_document_tsv", "tsv", postgresql_using="gin"),
        sa.Index("ix_search_document_consultation_id", "consultation_id"),
        sa.Index("ix_search_document_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(30))
    doc_id: Mapped[int] = mapped_column()
    consultation_id: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(20))
    config: Mapped[str] = mapped_column(sa.String(20))
    author: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    stamp: Mapped[str] = mapped_column(sa.String(32))
    tsv: Mapped[str | None] = mapped_column(TSVectorColumn)


class SearchWord(db.Model):
    """One word of the searchable text of the search documents, with how many documents
    hold it: the vocabulary "did you mean" suggestions are looked up in (PostgreSQL
    backend).

    ``word`` is lower-cased, as written (PostgreSQL's ``simple`` configuration, no
    stemming; at most 100 characters). On PostgreSQL, triggers on ``search_document``
    (migration ``d3b81f5a0c67``) keep ``documents`` in step in the transaction that writes
    the documents; a word whose count has fallen to 0 stays, and is never offered. The
    count includes documents of every state, so it only says which words exist: whether
    a visitor may see a word is checked against the documents themselves.
    """

    __tablename__ = "search_word"

    word: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    documents: Mapped[int] = mapped_column()
