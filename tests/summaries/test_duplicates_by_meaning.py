"""Near-duplicate groups by meaning (hoering/summaries/duplicates.py): paraphrases grouped,
opposites kept apart, every two members of a group close (no leader rule), the groups
worked out once per content version and read by the page, the exports and the statistics;
comment vectors made by the worker after a post and dropped with a removed comment."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.summaries import duplicates
from hoering.summaries.duplicates import find_groups
from hoering.summaries.models import CommentVector
from tests.conftest import Browser

# Bowling Green comments 864, 865 and 875: 865 and 875 are twins; 864 says the same in
# more words.
OLDER_A = ("Older neighborhoods change from owner occupied to rentals.  Neighborhoods deteriorate as a result.  "
           "Improved landlord/tenant rules needed!")
OLDER_B = "Older neighborhoods change from owner occupied to rentals.  Deterioration occurs.  Stronger landlord/tenant rules needed!"
OLDER_C = "Older neighborhoods change from owner occupied to rental.  Deterioration occurs.  Stronger landlord/tenant laws needed!"


def test_paraphrases_are_grouped_and_opposites_are_not():
    groups = find_groups([
        (1, "Marijuana should be legalized. It would be a boon for the economy."),
        (2, "Legalizing marijuana would be a boon for the economy."),
        (3, "Marijuana should not be legalized."),
        (4, "Bowling Green needs a Fairness Ordinance."),
        (5, "Bowling Green has to pass a Fairness Ordinance. Set the example."),
        (6, "Bowling Green definitely does Not need a fairness ordinance."),
    ])
    assert groups == [[1, 2], [4, 5]]


def test_every_two_members_are_close_so_a_twin_is_not_lost_to_an_earlier_comment():
    # By wording alone at 0.8: the old rule put B with A (the group's first comment) and left
    # C, B's twin, out because C is less like A. Complete linkage keeps the twins together.
    texts = [(864, OLDER_A), (865, OLDER_B), (875, OLDER_C)]
    assert find_groups(texts, semantic_threshold=2.0, textual_threshold=0.8) == [[865, 875]]
    # By meaning all three say the same.
    assert find_groups(texts) == [[864, 865, 875]]


def test_identical_texts_and_deterministic_numbers():
    texts = [(5, "Vi trenger flere sykkelveier!"), (2, "vi trenger flere sykkelveier"), (9, "Bussen går for sjelden.")]
    assert find_groups(texts) == find_groups(list(reversed(texts))) == [[2, 5]]


def test_beyond_the_exact_limit_the_index_finds_the_same_groups(monkeypatch):
    texts = [(1, OLDER_A), (2, OLDER_B), (3, OLDER_C), (4, "Marijuana should be legalized and taxed."),
             (5, "Marijuana should not be legalized."), (6, "We need a health food store."),
             (7, "We need a health food store here!")]
    exact = find_groups(texts)
    monkeypatch.setattr(duplicates, "EXACT_LIMIT", 2)
    assert find_groups(texts) == exact == [[1, 2, 3], [6, 7]]


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_page_exports_and_statistics_read_one_computation(app, browser_for, make_consultation, make_user,
                                                          make_comment, monkeypatch, tmp_path):
    # Each grouping (in the forked child, which inherits the patch) writes a line.
    log = tmp_path / "groupings"
    log.write_text("")
    real = duplicates.find_groups

    def counted(*args, **kwargs):
        with open(log, "a") as handle:
            handle.write("1\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(duplicates, "find_groups", counted)
    consultation = make_consultation(status="closed")
    consultation_id = consultation.id
    a = make_comment(consultation, make_user(), "Marijuana should be legalized. It would be a boon for the economy.")
    b = make_comment(consultation, make_user(), "Legalizing marijuana would be a boon for the economy.")
    c = make_comment(consultation, make_user(), "Marijuana should not be legalized.")
    hidden = make_comment(consultation, make_user(), "Legalizing marijuana would be a boon for the economy!",
                          state="hidden")
    moderator, officer = browser_for("moderator"), browser_for("case_officer")

    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/duplikater").get_data(as_text=True)
    assert page.count('class="duplicate-group"') == 1
    assert f"#{a.id}<" in page and f"#{b.id}<" in page and f"#{hidden.id}<" in page and f"#{c.id}<" not in page

    url = f"/saksbehandling/hoeringer/{consultation.slug}/kommentarer"
    rows = {int(r["Nummer"]): r["Gruppe av nesten like"] for r in _csv(moderator.get(f"{url}.csv"))}
    assert rows == {a.id: "1", b.id: "1", c.id: "", hidden.id: "1"}
    assert moderator.get(f"{url}.xlsx").status_code == 200
    rows = {int(r["Nummer"]): r["Gruppe av nesten like"] for r in _csv(officer.get(f"{url}.csv"))}
    assert rows == {a.id: "1", b.id: "1", c.id: ""}  # the hidden one is not the officer's
    staff = officer.get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Ulike kommentarer (nesten like telt én gang)</dt><dd>2</dd>" in staff  # three published, one group
    assert log.read_text().split() == ["1"]  # page, three exports and the statistics: one grouping

    with app.app_context():
        make_comment(db.session.get(Consultation, consultation_id), make_user(),
                     "Legalize marijuana, it would boost the economy.")
    moderator.get(f"{url}.csv")
    assert log.read_text().split() == ["1", "1"]  # a new comment: a new version, grouped again once


def test_the_cli_export_has_the_group_column(app, runner, make_consultation, make_user, make_comment, tmp_path):
    consultation = make_consultation(status="closed")
    a = make_comment(consultation, make_user(), "We need a health food store.")
    b = make_comment(consultation, make_user(), "We need a health food store here!")
    make_comment(consultation, make_user(), "The buses should run later in the evening.")
    out = tmp_path / "comments.csv"
    result = runner.invoke(args=["hoering", "export", consultation.slug, "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    groups = {int(r["id"]): r["duplicate_group"] for r in rows}
    assert groups[a.id] == groups[b.id] == "1" and sorted(groups.values()) == ["", "1", "1"]


def test_a_removed_comment_and_an_erased_account_lose_their_vectors(app, runner, make_consultation, make_user,
                                                                   make_comment, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_DELETION_COMMENTS", "remove")
    consultation = make_consultation()
    author, other = make_user(), make_user()
    own = make_comment(consultation, author, "Parkeringen ved sykehuset er for dyr.")
    kept = make_comment(consultation, author, "Bussen går for sjelden om kvelden.")
    theirs = make_comment(consultation, other, "Vi trenger flere sykkelveier.")
    runner.invoke(args=["hoering", "vectors"])
    browser = Browser(app.test_client())
    browser.login(author)
    assert browser.submit(f"/kommentarer/{own.id}/fjern").status_code in (302, 303)
    with app.app_context():
        assert set(db.session.scalars(sa.select(CommentVector.comment_id))) == {kept.id, theirs.id}
    assert browser.submit("/min-side/slett", data={"password": author.password}).status_code == 303
    with app.app_context():
        assert set(db.session.scalars(sa.select(CommentVector.comment_id))) == {theirs.id}


def test_in_process_grouping_leaves_the_export_whole(app, browser_for, make_consultation, make_user, make_comment,
                                                     monkeypatch):
    # ISOLATION_FORK off: the vectors are made and committed in the request itself, and the
    # streamed CSV still reads the consultation after the view has returned.
    monkeypatch.setitem(app.config, "ISOLATION_FORK", False)
    consultation = make_consultation(status="closed")
    make_comment(consultation, make_user(), "We need a health food store.")
    make_comment(consultation, make_user(), "We need a health food store here!")
    response = browser_for("moderator").get(f"/saksbehandling/hoeringer/{consultation.slug}/kommentarer.csv")
    assert response.status_code == 200
    assert [r["Gruppe av nesten like"] for r in _csv(response)] == ["1", "1"]
