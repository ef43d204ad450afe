"""A consultation's public reason for a period shorter than six weeks

Revision ID: d7f2a4c8e913
Revises: c6e1a9d3f702
Create Date: 2026-12-04 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f2a4c8e913'
down_revision = 'c6e1a9d3f702'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_period_reason', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('short_period_reason')
