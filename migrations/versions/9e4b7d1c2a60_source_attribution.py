"""Credit and licence of imported open data, shown on the consultation page and in the report

Revision ID: 9e4b7d1c2a60
Revises: 7c1e4a2b9d05
Create Date: 2026-12-03 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e4b7d1c2a60'
down_revision = '7c1e4a2b9d05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_attribution', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('source_licence', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('source_licence_url', sa.String(length=500), server_default='', nullable=False))
    # Consultations imported from Polis before: its open data is CC BY 4.0.
    op.execute("UPDATE consultation SET source_attribution = 'The Computational Democracy Project, Polis', "
               "source_licence = 'CC BY 4.0', "
               "source_licence_url = 'https://creativecommons.org/licenses/by/4.0/' "
               "WHERE external_id LIKE 'polis:%'")


def downgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('source_licence_url')
        batch_op.drop_column('source_licence')
        batch_op.drop_column('source_attribution')
