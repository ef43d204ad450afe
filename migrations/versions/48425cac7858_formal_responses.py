"""Formal responses (høringssvar): the consultation's switch, the responses, their
attachments, the screening log and their themes

Revision ID: 48425cac7858
Revises: f3eb27573d86
Create Date: 2026-12-04 06:10:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '48425cac7858'
down_revision = 'f3eb27573d86'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepts_responses', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('formal_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('sender_email', sa.String(length=320), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('organisation_number', sa.String(length=9), nullable=False),
    sa.Column('on_behalf_of_organisation', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('consent_to_publication', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('public_text', sa.Text(), nullable=False),
    sa.Column('name_withheld', sa.Boolean(), nullable=False),
    sa.Column('legal_ground', sa.String(length=300), nullable=False),
    sa.Column('screened_by_id', sa.Integer(), nullable=True),
    sa.Column('screened_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_formal_response_consultation_id_consultation')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_formal_response_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user.id'], name=op.f('fk_formal_response_registered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['screened_by_id'], ['user.id'], name=op.f('fk_formal_response_screened_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_formal_response')),
    sa.UniqueConstraint('reference', name=op.f('uq_formal_response_reference')),
    sa.UniqueConstraint('token', name=op.f('uq_formal_response_token')),
    sa.UniqueConstraint('year', 'number', name='uq_formal_response_year_number')
    )
    with op.batch_alter_table('formal_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_formal_response_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_formal_response_state'), ['state'], unique=False)

    op.create_table('response_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('withheld', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['formal_response.id'], name=op.f('fk_response_attachment_response_id_formal_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_attachment'))
    )
    with op.batch_alter_table('response_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_attachment_response_id'), ['response_id'], unique=False)

    op.create_table('response_screening_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('legal_ground', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['formal_response.id'], name=op.f('fk_response_screening_entry_response_id_formal_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_response_screening_entry_actor_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_screening_entry'))
    )
    with op.batch_alter_table('response_screening_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_screening_entry_response_id'), ['response_id'], unique=False)


    op.create_table('response_theme',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('tagged_by_id', sa.Integer(), nullable=True),
    sa.Column('tagged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['formal_response.id'], name=op.f('fk_response_theme_response_id_formal_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_response_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tagged_by_id'], ['user.id'], name=op.f('fk_response_theme_tagged_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('response_id', 'theme_id', name=op.f('pk_response_theme'))
    )
    with op.batch_alter_table('response_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_theme_theme_id'), ['theme_id'], unique=False)


def downgrade():
    op.drop_table('response_theme')
    op.drop_table('response_screening_entry')
    op.drop_table('response_attachment')
    op.drop_table('formal_response')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('accepts_responses')
