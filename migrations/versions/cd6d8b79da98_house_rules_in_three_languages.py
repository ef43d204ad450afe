"""House rules in nynorsk and English beside bokmål; the default rules translated

Revision ID: cd6d8b79da98
Revises: e3f423db7053
Create Date: 2026-12-04 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'cd6d8b79da98'
down_revision = 'e3f423db7053'
branch_labels = None
depends_on = None

#: The default rules (migration e714c6978a79) in nynorsk and English, written only where the
#: bokmål title is still the default one (a rule an administrator rewrote is left alone).
DEFAULT_TRANSLATIONS = {
    "personopplysninger": (
        "Personopplysningar",
        "Ikkje del opplysningar om andre personar, som namn på privatpersonar, adresser, telefonnummer eller "
        "helseopplysningar.",
        "Personal information",
        "Do not share information about other people, such as the names of private individuals, addresses, "
        "telephone numbers or health information."),
    "trakassering": (
        "Trakassering og personåtak",
        "Kritiser saka, ikkje personen. Hets, truslar og nedsetjande kommentarar om andre deltakarar eller "
        "tilsette blir skjulte.",
        "Harassment and personal attacks",
        "Criticise the case, not the person. Abuse, threats and demeaning remarks about other participants or "
        "staff are hidden."),
    "hatefulle-ytringer": (
        "Hatefulle ytringar",
        "Ytringar som går til åtak på nokon for hudfarge, etnisitet, religion, kjønn, seksuell orientering, "
        "kjønnsidentitet eller funksjonsnedsetjing, blir skjulte og kan bli melde (straffelova § 185).",
        "Hate speech",
        "Statements that attack anyone for their skin colour, ethnicity, religion, sex, sexual orientation, "
        "gender identity or disability are hidden and may be reported to the police (Penal Code section 185)."),
    "reklame": (
        "Reklame og spam",
        "Reklame, gjentekne innlegg og innhald som ikkje er skrive for høyringa, blir skjulte.",
        "Advertising and spam",
        "Advertising, repeated posts and content not written for the consultation are hidden."),
    "utenfor-tema": (
        "Utanfor tema",
        "Hald deg til saka som er på høyring. Innspel om andre saker kan du sende til kommunen på vanleg måte.",
        "Off topic",
        "Keep to the case under consultation. You can send comments on other matters to the municipality in "
        "the usual way."),
    "ulovlig-innhold": (
        "Ulovleg innhald",
        "Innhald som bryt norsk lov, til dømes opphavsrett eller teieplikt, blir skjult.",
        "Illegal content",
        "Content that breaks Norwegian law, for example copyright or confidentiality, is hidden."),
}
DEFAULT_TITLES = {
    "personopplysninger": "Personopplysninger", "trakassering": "Trakassering og personangrep",
    "hatefulle-ytringer": "Hatefulle ytringer", "reklame": "Reklame og spam", "utenfor-tema": "Utenfor tema",
    "ulovlig-innhold": "Ulovlig innhold",
}


def upgrade():
    with op.batch_alter_table('house_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_nn', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_nn', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('title_en', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_en', sa.Text(), server_default='', nullable=False))
    house_rule = sa.table(
        "house_rule", sa.column("code", sa.String), sa.column("title", sa.String),
        sa.column("title_nn", sa.String), sa.column("description_nn", sa.Text),
        sa.column("title_en", sa.String), sa.column("description_en", sa.Text),
    )
    for code, (title_nn, description_nn, title_en, description_en) in DEFAULT_TRANSLATIONS.items():
        op.execute(house_rule.update()
                   .where(house_rule.c.code == code, house_rule.c.title == DEFAULT_TITLES[code])
                   .values(title_nn=title_nn, description_nn=description_nn, title_en=title_en,
                           description_en=description_en))


def downgrade():
    with op.batch_alter_table('house_rule', schema=None) as batch_op:
        batch_op.drop_column('description_en')
        batch_op.drop_column('title_en')
        batch_op.drop_column('description_nn')
        batch_op.drop_column('title_nn')
