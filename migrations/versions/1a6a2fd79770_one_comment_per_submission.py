"""One comment per submission: the comment form's random key, unique per author

Revision ID: 1a6a2fd79770
Revises: b7d2c41e9a05
Create Date: 2026-12-03 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a6a2fd79770'
down_revision = 'b7d2c41e9a05'
branch_labels = None
depends_on = None


def upgrade():
    # Existing comments have no key (NULL); NULLs never clash in a unique constraint.
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_comment_author_submission_token', ['author_id', 'submission_token'])


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_constraint('uq_comment_author_submission_token', type_='unique')
        batch_op.drop_column('submission_token')
