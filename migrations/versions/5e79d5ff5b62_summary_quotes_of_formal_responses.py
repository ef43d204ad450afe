"""The summary ("Dette har vi hørt") may quote a published formal response as well as a
comment: ``summary_quote.response_id`` beside a now optional ``comment_id``, exactly one of
them set, and a comment or a response quoted at most once per theme and once overall

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
    # The overall part (theme_id NULL): NULLs are distinct to the constraints above. A
    # comment quoted twice there (nothing held it to once before) keeps its first quote.
    op.execute(sa.text(
        "DELETE FROM summary_quote WHERE theme_id IS NULL AND comment_id IS NOT NULL AND id NOT IN ("
        " SELECT MIN(id) FROM summary_quote WHERE theme_id IS NULL AND comment_id IS NOT NULL"
        " GROUP BY summary_id, comment_id)"))
    for name, column in (('uq_summary_quote_overall_comment', 'comment_id'),
                         ('uq_summary_quote_overall_response', 'response_id')):
        op.create_index(name, 'summary_quote', ['summary_id', column], unique=True,
                        sqlite_where=sa.text('theme_id IS NULL'), postgresql_where=sa.text('theme_id IS NULL'))


def downgrade():
    op.drop_index('uq_summary_quote_overall_response', table_name='summary_quote')
    op.drop_index('uq_summary_quote_overall_comment', table_name='summary_quote')
    op.execute(sa.text("DELETE FROM summary_quote WHERE comment_id IS NULL"))
    with op.batch_alter_table('summary_quote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_summary_quote_one_source'), type_='check')
        batch_op.drop_constraint('uq_summary_quote_response', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_summary_quote_response_id_formal_response'), type_='foreignkey')
        batch_op.alter_column('comment_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('response_id')
