"""Display names' confusable skeletons, so that no two accounts have names that look the same

Adds ``user.name_skeleton`` (indexed; the SHA-256 of the UTS #39 skeleton of the folded
name, see ``hoering.names``) and fills it for every account that has a name. Accounts
whose names already look the same keep them: the index is not unique, and the rule is
applied when a name is chosen.

Revision ID: 3a9d0c2e7f51
Revises: 1a6a2fd79770
Create Date: 2026-12-03 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

from hoering.names import name_skeleton


# revision identifiers, used by Alembic.
revision = '3a9d0c2e7f51'
down_revision = '1a6a2fd79770'
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_skeleton', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_name_skeleton'), ['name_skeleton'], unique=False)

    user = sa.table('user', sa.column('id', sa.Integer), sa.column('display_name', sa.String),
                    sa.column('deleted_at', sa.DateTime), sa.column('name_skeleton', sa.String))
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(user.c.id, user.c.display_name)
            .where(user.c.id > last_id, user.c.deleted_at.is_(None))
            .order_by(user.c.id).limit(_BATCH)).all()
        if not rows:
            break
        connection.execute(
            user.update().where(user.c.id == sa.bindparam('user_id')).values(name_skeleton=sa.bindparam('key')),
            [{'user_id': row.id, 'key': name_skeleton(row.display_name)} for row in rows])
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_name_skeleton'))
        batch_op.drop_column('name_skeleton')
