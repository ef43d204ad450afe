"""Sections of a draft text: one per position in a consultation (sections added at the
same moment could share one); existing duplicates are numbered apart first, in their
order of position and then of creation

Revision ID: 24eff17ec30e
Revises: 5c0e3f9a7d21
Create Date: 2026-12-04 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '24eff17ec30e'
down_revision = '5c0e3f9a7d21'
branch_labels = None
depends_on = None


def upgrade():
    # 0, 1, 2 … per consultation, in the order of (position, id). Computed here rather than
    # by one UPDATE with a subquery on the same table: SQLite would see the rows it has
    # already changed. No constraint exists yet to trip over.
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, consultation_id, position FROM consultation_section ORDER BY consultation_id, position, id")).all()
    place: dict[int, int] = {}
    changes = []
    for section_id, consultation_id, position in rows:
        wanted = place.get(consultation_id, 0)
        place[consultation_id] = wanted + 1
        if position != wanted:
            changes.append({"id": section_id, "position": wanted})
    if changes:
        connection.execute(sa.text("UPDATE consultation_section SET position = :position WHERE id = :id"), changes)
    # A unique index, not a table constraint: on SQLite a constraint means rebuilding the
    # table, which comments refer to (``comment.section_id``).
    with op.batch_alter_table('consultation_section', schema=None) as batch_op:
        batch_op.create_index('uq_consultation_section_consultation_id_position', ['consultation_id', 'position'],
                              unique=True)


def downgrade():
    with op.batch_alter_table('consultation_section', schema=None) as batch_op:
        batch_op.drop_index('uq_consultation_section_consultation_id_position')
