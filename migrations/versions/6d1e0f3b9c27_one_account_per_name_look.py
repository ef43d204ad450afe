"""One account per name look: a unique index on the name skeleton of active accounts

Two registrations at the same moment with names that look the same could both pass the
check made before saving; this index decides between them. Accounts that already share a
look keep their names: all but the oldest have their skeleton cleared (it is computed
again when the name changes), so the index can be made.

Revision ID: 6d1e0f3b9c27
Revises: a7c3e91d2b40
Create Date: 2026-12-03 08:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6d1e0f3b9c27'
down_revision = 'a7c3e91d2b40'
branch_labels = None
depends_on = None

ACTIVE = "deleted_at IS NULL AND NOT is_pseudonymous"


def upgrade():
    op.execute(f"""
        UPDATE "user" SET name_skeleton = NULL
        WHERE {ACTIVE} AND name_skeleton IS NOT NULL AND id NOT IN (
            SELECT MIN(id) FROM "user" WHERE {ACTIVE} AND name_skeleton IS NOT NULL GROUP BY name_skeleton)
    """)
    op.create_index('uq_user_name_skeleton_active', 'user', ['name_skeleton'], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade():
    op.drop_index('uq_user_name_skeleton_active', table_name='user')
