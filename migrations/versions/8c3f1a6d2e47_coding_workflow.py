"""Comments read without a theme ("lest, uten tema") and an index for the published
comments of a consultation in the order moderators analyse them

Revision ID: 8c3f1a6d2e47
Revises: a7c3e1f09d52
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c3f1a6d2e47'
down_revision = 'a7c3e1f09d52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_read_without_theme',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_read_without_theme_comment_id_comment')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['user.id'], name=op.f('fk_comment_read_without_theme_marked_by_id_user')),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_comment_read_without_theme'))
    )
    op.create_index('ix_comment_consultation_state_created', 'comment',
                    ['consultation_id', 'state', 'created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_comment_consultation_state_created', table_name='comment')
    op.drop_table('comment_read_without_theme')
