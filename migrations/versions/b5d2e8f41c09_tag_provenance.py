"""How each theme tag came to be (source, confidence) and declined theme proposals

Revision ID: b5d2e8f41c09
Revises: 8c3f1a6d2e47
Create Date: 2026-12-03 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d2e8f41c09'
down_revision = '8c3f1a6d2e47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment_theme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='manual', nullable=False))
        batch_op.add_column(sa.Column('confidence', sa.Float(), nullable=True))
    op.create_table('declined_theme_proposal',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('declined_by_id', sa.Integer(), nullable=True),
    sa.Column('declined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_declined_theme_proposal_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_declined_theme_proposal_theme_id_theme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['declined_by_id'], ['user.id'], name=op.f('fk_declined_theme_proposal_declined_by_id_user')),
    sa.PrimaryKeyConstraint('comment_id', 'theme_id', name=op.f('pk_declined_theme_proposal'))
    )


def downgrade():
    op.drop_table('declined_theme_proposal')
    with op.batch_alter_table('comment_theme', schema=None) as batch_op:
        batch_op.drop_column('confidence')
        batch_op.drop_column('source')
