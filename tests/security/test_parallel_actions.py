"""The same action sent from several tabs at the same moment: following, supporting,
reporting and theme tagging store one row, answer every tab normally, and keep counters
equal to the rows they count (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from hoering.comments.models import Comment, Support
from hoering.extensions import db
from hoering.moderation.models import Report
from hoering.notifications.models import Subscription
from hoering.summaries.models import CommentTheme
from tests.concurrency import answers, at_once, tabs_of
from tests.summaries.test_themes_and_summary import create_theme, theme_id

#: Tabs sending at once, and how often each test repeats the race.
TABS = 6
ROUNDS = 3
SEE_OTHER = [303] * TABS


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def post_from_every_tab(tabs, url: str, data) -> list[object]:
    """POST ``data`` (a dict, or a callable ``index -> dict``) to ``url`` from every tab at once."""
    def send(index, tab, token):
        fields = data(index) if callable(data) else data
        return lambda: tab.client.post(url, data={"csrf_token": token, **fields})

    return at_once([send(i, tab, token) for i, (tab, token) in enumerate(tabs)])


def test_following_from_several_tabs_at_once_stores_one_subscription(app, make_user, make_consultation):
    consultation = make_consultation()
    page = f"/hoeringer/{consultation.slug}"
    user = make_user()
    tabs = tabs_of(app, user, TABS, page)
    mine = (Subscription.user_id == user.id, Subscription.consultation_id == consultation.id)

    for _ in range(ROUNDS):
        assert answers(post_from_every_tab(tabs, f"{page}/folg", {"follow": "1"})) == SEE_OTHER
        assert count(app, Subscription, *mine) == 1
        assert answers(post_from_every_tab(tabs, f"{page}/folg", {"follow": "0"})) == SEE_OTHER
        assert count(app, Subscription, *mine) == 0


def test_supporting_from_several_tabs_at_once_counts_once(app, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Støtt meg")
    tabs = tabs_of(app, make_user(), TABS, f"/hoeringer/{consultation.slug}")
    url = f"/kommentarer/{comment.id}/stotte"

    def stored() -> tuple[int, int]:
        with app.app_context():
            return (count(app, Support, Support.comment_id == comment.id),
                    db.session.get(Comment, comment.id).support_count)

    for _ in range(ROUNDS):
        assert answers(post_from_every_tab(tabs, url, {"supported": "1"})) == SEE_OTHER
        assert stored() == (1, 1)
        assert answers(post_from_every_tab(tabs, url, {"supported": "0"})) == SEE_OTHER
        assert stored() == (0, 0)
        # Support and take back at the same moment: either may win, the count follows the row.
        assert answers(post_from_every_tab(tabs, url, lambda i: {"supported": str(i % 2)})) == SEE_OTHER
        rows, support_count = stored()
        assert rows in (0, 1) and support_count == rows


def test_agreeing_disagreeing_and_taking_back_from_several_tabs_keeps_the_counts_equal_to_the_rows(
        app, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Del meg")
    tabs = tabs_of(app, make_user(), TABS, f"/hoeringer/{consultation.slug}")
    url = f"/kommentarer/{comment.id}/stotte"

    def stored() -> tuple[int, int, int, int]:
        """Agree rows, disagree rows, and the two counts."""
        with app.app_context():
            row = db.session.get(Comment, comment.id)
            return (count(app, Support, Support.comment_id == comment.id, Support.stance == "agree"),
                    count(app, Support, Support.comment_id == comment.id, Support.stance == "disagree"),
                    row.support_count, row.disagree_count)

    choices = ("agree", "disagree", "")
    for _ in range(ROUNDS):
        assert answers(post_from_every_tab(tabs, url, {"stance": "disagree"})) == SEE_OTHER
        assert stored() == (0, 1, 0, 1)
        # Both sides and taking back at the same moment: any may win, the counts follow the rows.
        assert answers(post_from_every_tab(tabs, url, lambda i: {"stance": choices[i % 3]})) == SEE_OTHER
        agree, disagree, agree_count, disagree_count = stored()
        assert agree + disagree <= 1 and (agree_count, disagree_count) == (agree, disagree)


def test_reporting_from_several_tabs_at_once_files_one_report(app, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    comments = [make_comment(consultation, make_user(), f"Omstridt {n}") for n in range(ROUNDS)]
    reporter = make_user()
    tabs = tabs_of(app, reporter, TABS, f"/hoeringer/{consultation.slug}")

    for comment in comments:
        responses = post_from_every_tab(tabs, f"/kommentarer/{comment.id}/rapporter", {"reason": "spam"})
        assert answers(responses) == SEE_OTHER
        assert {r.headers["Location"] for r in responses} == {f"/kommentarer/{comment.id}"}
        assert count(app, Report, Report.comment_id == comment.id, Report.reporter_id == reporter.id) == 1


def test_tagging_from_several_tabs_at_once_keeps_every_tag_once(app, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    author = make_user()
    comments = [make_comment(consultation, author, f"Innspill {n}").id for n in range(TABS + 1)]
    moderator = make_user("moderator")
    tabs = tabs_of(app, moderator, TABS, "/moderering")
    create_theme(tabs[0][0], consultation, "Trafikk")
    theme = theme_id(app, "Trafikk")

    def tags(index: int, remove: str) -> dict:
        # Each tab sends two comments, one of them also sent by the next tab.
        return {"theme": str(theme), "comment": [str(c) for c in comments[index:index + 2]],
                "remove": remove, "back": "/moderering"}

    for _ in range(ROUNDS):
        responses = post_from_every_tab(tabs, "/moderering/temaer/merk", lambda i: tags(i, "0"))
        assert answers(responses) == SEE_OTHER
        assert count(app, CommentTheme, CommentTheme.theme_id == theme) == len(comments)
        for tab, _token in tabs:  # every tab was told what it did, none that "nothing was saved"
            page = tab.get("/moderering").get_data(as_text=True)
            assert "merket med «Trafikk»" in page or "Ingenting ble endret" in page, page
        responses = post_from_every_tab(tabs, "/moderering/temaer/merk", lambda i: tags(i, "1"))
        assert answers(responses) == SEE_OTHER
        assert count(app, CommentTheme, CommentTheme.theme_id == theme) == 0
