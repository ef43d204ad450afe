"""Comment vectors: each comment's sentence embedding, made once per text

Revision ID: 7c1e4a2b9d05
Revises: 5b7e2d9c41a3
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e4a2b9d05'
down_revision = '5b7e2d9c41a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'comment_vector',
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=60), nullable=False),
        sa.Column('text_hash', sa.String(length=32), nullable=False),
        sa.Column('dimensions', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('made_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name='fk_comment_vector_comment_id_comment',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('comment_id', name='pk_comment_vector'),
    )


def downgrade():
    op.drop_table('comment_vector')
