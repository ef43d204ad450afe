"""Where a consultation is filed in the records system: case number and classification

Revision ID: e8a3b5d1f024
Revises: d7f2a4c8e913
Create Date: 2026-12-04 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8a3b5d1f024'
down_revision = 'd7f2a4c8e913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_record',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=40), server_default='', nullable=False),
    sa.Column('classification_system', sa.String(length=100), server_default='', nullable=False),
    sa.Column('class_id', sa.String(length=100), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_case_record_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_case_record'))
    )


def downgrade():
    op.drop_table('case_record')
