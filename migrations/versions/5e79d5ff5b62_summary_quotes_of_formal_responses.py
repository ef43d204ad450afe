"""The summary ("Dette har vi hørt") may quote a published formal response as well as a
comment: ``summary_quote.response_id`` beside a now optional ``comment_id``, exactly one of
them set, and a response quoted at most once per theme

Revision ID: 5e79d5ff5b62
Revises: 24eff17ec30e
Create Date: 2026-12-04 10:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5e79d5ff5b62'
down_revision = '24eff17ec30e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('summary_quote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_id', sa.Integer(), nullable=True))
        batch_op.alter_column('comment_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_summary_quote_response_id_formal_response'), 'formal_response',
                                    ['response_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint('uq_summary_quote_response', ['summary_id', 'theme_id', 'response_id'])
        batch_op.create_check_constraint('one_source', '(comment_id IS NULL) <> (response_id IS NULL)')


def downgrade():
    op.execute(sa.text("DELETE FROM summary_quote WHERE comment_id IS NULL"))
    with op.batch_alter_table('summary_quote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_summary_quote_one_source'), type_='check')
        batch_op.drop_constraint('uq_summary_quote_response', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_summary_quote_response_id_formal_response'), type_='foreignkey')
        batch_op.alter_column('comment_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('response_id')
