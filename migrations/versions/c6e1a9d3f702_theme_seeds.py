"""The comments of the discovered group a theme was kept from, as its first examples

Revision ID: c6e1a9d3f702
Revises: b5d2e8f41c09
Create Date: 2026-12-03 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6e1a9d3f702'
down_revision = 'b5d2e8f41c09'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('theme_seed_comment',
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_theme_seed_comment_theme_id_theme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_theme_seed_comment_comment_id_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('theme_id', 'comment_id', name=op.f('pk_theme_seed_comment'))
    )


def downgrade():
    op.drop_table('theme_seed_comment')
