"""Consultations featured on the front page, in the order staff chose

Revision ID: e3f423db7053
Revises: 5e79d5ff5b62
Create Date: 2026-12-04 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e3f423db7053'
down_revision = '5e79d5ff5b62'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('featured_position', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('featured_position')
