"""Search documents for the PostgreSQL search backend

The table is made on every database so that the schema is the same everywhere; only
PostgreSQL gives ``tsv`` the type ``tsvector`` and its index the GIN method (on SQLite
the column stays empty and the index is an ordinary one, never used).

Revision ID: 8f3c2a61d7e4
Revises: 0c5e8b7a4d21
Create Date: 2026-12-03 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '8f3c2a61d7e4'
down_revision = '0c5e8b7a4d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=30), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('config', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('doc_type', 'doc_id', name=op.f('uq_search_document_doc_type')),
    )
    op.create_index('ix_search_document_consultation_id', 'search_document', ['consultation_id'], unique=False)
    op.create_index('ix_search_document_created_at', 'search_document', ['created_at'], unique=False)
    op.create_index('ix_search_document_tsv', 'search_document', ['tsv'], unique=False, postgresql_using='gin')


def downgrade():
    op.drop_index('ix_search_document_tsv', table_name='search_document')
    op.drop_index('ix_search_document_created_at', table_name='search_document')
    op.drop_index('ix_search_document_consultation_id', table_name='search_document')
    op.drop_table('search_document')
