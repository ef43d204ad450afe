"""The vocabulary of the search documents, for cheap "did you mean" suggestions

``search_word`` holds each word (lower-cased, as written: PostgreSQL's ``simple``
configuration) of the searchable text of ``search_document`` with the number of documents
holding it. It is made on every database so that the schema is the same everywhere; on
PostgreSQL three statement-level triggers on ``search_document`` keep it in step in the
same transaction as the documents, and it is filled from the documents already there.

Revision ID: d3b81f5a0c67
Revises: 8f3c2a61d7e4
Create Date: 2026-12-03 13:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd3b81f5a0c67'
down_revision = '8f3c2a61d7e4'
branch_labels = None
depends_on = None

#: The words of a search document's searchable text (a consultation's title and text, a
#: comment's text), one row each.
WORDS_OF = """unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
    CASE WHEN {row}.doc_type = 'consultation' THEN {row}.title || ' ' || {row}.body ELSE {row}.body END)))"""

#: Adds a statement's changes (``delta``: one row of ``word, n`` for each word of each
#: document, n = 1 or -1) to the vocabulary, words in order (so two transactions lock
#: the rows they share in the same order and never deadlock). A count never goes below
#: zero; words at zero stay (they are not offered).
UPSERT = """
    WITH delta (word, n) AS ({source})
    INSERT INTO search_word AS w (word, documents)
        SELECT word, sum(n) FROM delta d
         WHERE char_length(word) <= 100
         GROUP BY word
        HAVING sum(n) > 0 OR EXISTS (SELECT 1 FROM search_word e WHERE e.word = d.word)
         ORDER BY word
    ON CONFLICT (word) DO UPDATE SET documents = GREATEST(0, w.documents + EXCLUDED.documents);"""
CHANGED = "old_rows o JOIN new_rows n ON n.id = o.id " \
          "WHERE (o.doc_type, o.title, o.body) IS DISTINCT FROM (n.doc_type, n.title, n.body)"
FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_word_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {UPSERT.format(source=f"SELECT {WORDS_OF.format(row='d')}, 1 FROM new_rows d")}
    ELSIF TG_OP = 'DELETE' THEN
        {UPSERT.format(source=f"SELECT {WORDS_OF.format(row='d')}, -1 FROM old_rows d")}
    ELSE
        {UPSERT.format(source=f"SELECT {WORDS_OF.format(row='o')}, -1 FROM {CHANGED} "
                              f"UNION ALL SELECT {WORDS_OF.format(row='n')}, 1 FROM {CHANGED}")}
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = [
    "CREATE TRIGGER search_word_insert AFTER INSERT ON search_document REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_word_count()",
    "CREATE TRIGGER search_word_update AFTER UPDATE ON search_document REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_word_count()",
    "CREATE TRIGGER search_word_delete AFTER DELETE ON search_document REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_word_count()",
]

FILL = f"""
INSERT INTO search_word (word, documents)
SELECT word, count(*) FROM (SELECT {WORDS_OF.format(row='d')} AS word FROM search_document d) words
 WHERE char_length(word) <= 100 GROUP BY word
"""


def upgrade():
    op.create_table(
        'search_word',
        sa.Column('word', sa.String(length=100), nullable=False),
        sa.Column('documents', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_word')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION)
        for statement in TRIGGERS:
            op.execute(statement)
        op.execute(FILL)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name in ('search_word_insert', 'search_word_update', 'search_word_delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON search_document')
        op.execute('DROP FUNCTION IF EXISTS search_word_count()')
    op.drop_table('search_word')
