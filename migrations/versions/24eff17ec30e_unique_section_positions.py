"""Sections of a draft text: one per position in a consultation (sections added at the
same moment could share one); existing duplicates are numbered apart first, in their
order of position and then of creation

Revision ID: 24eff17ec30e
Revises: 712a17ec1c5f
Create Date: 2026-12-04 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '24eff17ec30e'
down_revision = '712a17ec1c5f'
branch_labels = None
depends_on = None


def upgrade():
    # 0, 1, 2 … per consultation: the rank of each section by (position, id). A correlated
    # count runs the same on SQLite and PostgreSQL; no constraint exists yet to trip over.
    op.execute(sa.text(
        "UPDATE consultation_section SET position = ("
        " SELECT COUNT(*) FROM consultation_section AS other"
        " WHERE other.consultation_id = consultation_section.consultation_id"
        " AND (other.position < consultation_section.position"
        " OR (other.position = consultation_section.position AND other.id < consultation_section.id)))"))
    with op.batch_alter_table('consultation_section', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_consultation_section_consultation_id_position',
                                          ['consultation_id', 'position'])


def downgrade():
    with op.batch_alter_table('consultation_section', schema=None) as batch_op:
        batch_op.drop_constraint('uq_consultation_section_consultation_id_position', type_='unique')
