"""The event log: announced domain events waiting for their subscribers

Revision ID: 0c5e8b7a4d21
Revises: 6d1e0f3b9c27
Create Date: 2026-12-03 10:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0c5e8b7a4d21'
down_revision = '6d1e0f3b9c27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=80), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('subscriber', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_delivery')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_event_delivery_next_attempt_at', 'event_delivery', ['next_attempt_at'])


def downgrade():
    op.drop_index('ix_event_delivery_next_attempt_at', table_name='event_delivery')
    op.drop_table('event_delivery')
