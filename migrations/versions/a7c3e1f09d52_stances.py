"""Stances: a support row is an agreement or a disagreement; a comment counts both (and
the passes of imported data); a consultation keeps the voters of an imported conversation

Revision ID: a7c3e1f09d52
Revises: 9e4b7d1c2a60
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e1f09d52'
down_revision = '9e4b7d1c2a60'
branch_labels = None
depends_on = None


def upgrade():
    # Every row from before is an agreement: the server default fills them.
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stance', sa.String(length=8), server_default='agree', nullable=False))
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disagree_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pass_count', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_voters', sa.Integer(), nullable=True))


def downgrade():
    # A disagreement has no place in the older schema: it goes, and the counts stay agreements.
    op.execute("DELETE FROM support WHERE stance <> 'agree'")
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('imported_voters')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('pass_count')
        batch_op.drop_column('disagree_count')
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.drop_column('stance')
