"""Content version of a consultation (the key of its cached pages) and a partial index
for the page of threads

Revision ID: 5b7e2d9c41a3
Revises: d3b81f5a0c67
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2d9c41a3'
down_revision = 'd3b81f5a0c67'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_version', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_comment_threads', 'comment', ['consultation_id', 'created_at', 'id'], unique=False,
                    postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))


def downgrade():
    op.drop_index('ix_comment_threads', table_name='comment',
                  postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('content_version')
