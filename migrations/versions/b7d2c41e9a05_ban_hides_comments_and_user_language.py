"""ban hides comments, user language

A ban can hide its user's comments and lifting it restores exactly those: the table
``ban_hidden_comment`` records which. ``user.language`` keeps the interface language a
user last chose, for mails written to her alone.

Revision ID: b7d2c41e9a05
Revises: e521724d46e7
Create Date: 2026-12-03 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2c41e9a05'
down_revision = 'e521724d46e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ban_hidden_comment',
        sa.Column('ban_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('restored_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['ban_id'], ['ban.id'], name=op.f('fk_ban_hidden_comment_ban_id_ban')),
        sa.ForeignKeyConstraint(['comment_id'], ['comment.id'],
                                name=op.f('fk_ban_hidden_comment_comment_id_comment')),
        sa.PrimaryKeyConstraint('ban_id', 'comment_id', name=op.f('pk_ban_hidden_comment')),
    )
    with op.batch_alter_table('ban_hidden_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ban_hidden_comment_comment_id'), ['comment_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('ban_hidden_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ban_hidden_comment_comment_id'))
    op.drop_table('ban_hidden_comment')
