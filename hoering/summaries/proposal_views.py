"""The proposals page, "Foreslåtte temaer" (:mod:`hoering.summaries.proposals`): the
proposed themes of the comments not analysed yet, group by group, and "accept all above"
a confidence."""

from __future__ import annotations

import re
from collections import Counter

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hoering.exceptions import ServiceError
from hoering.extensions import db
from hoering.forms import page_number, parse_id
from hoering.i18n import ngettext
from hoering.summaries import bp, proposals
from hoering.summaries import suggestions as suggestions_services
from hoering.summaries import themes as theme_services
from hoering.summaries.models import TagSource
from hoering.summaries.proposals import PROPOSALS_PER_PAGE, READ_WITHOUT_THEME
from hoering.summaries.suggestions import MIN_CONFIDENCE
from hoering.summaries.views import _consultation_or_404, moderator_required


def _percent(raw: str | None) -> int | None:
    """A whole percentage from 0 to 100 as typed ("80", "80 %", "80,0"); ``None`` otherwise."""
    text = (raw or "").strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return round(value) if 0 <= value <= 100 else None


def _excluded(values: list[str]) -> set[int] | None:
    """The comment ids the moderator unticked on the page (``exclude``, repeated, or one
    value with ids separated by commas); ``None`` if one is not a comment number."""
    found = set()
    for value in values:
        for token in (t for t in re.split(r"[\s,]+", value or "") if t):
            comment_id = parse_id(token)
            if not comment_id:
                return None
            found.add(comment_id)
    return found


#: The ``group`` of the form of the comments without a proposal.
WITHOUT_PROPOSAL = "ingen"


def _group_choices(form) -> tuple[int | None, list[int], dict[int, int | str]] | None:
    """A group's form: ``(proposed theme id, or None for the comments without a proposal;
    comment ids shown; {ticked id: chosen theme id or "read"})``; ``None`` when a value is
    not what the page sends."""
    without = form.get("group", "") == WITHOUT_PROPOSAL
    theme_id = None if without else parse_id(form.get("group", ""))
    rows = [parse_id(raw) for raw in form.getlist("row")]
    ticked = [parse_id(raw) for raw in form.getlist("accept")]
    if not (theme_id or without) or not rows or any(not i for i in rows + ticked) or \
            len(rows) > 10 * PROPOSALS_PER_PAGE:
        return None
    choices: dict[int, int | str] = {}
    for comment_id in ticked:
        raw = form.get(f"theme-{comment_id}", proposals.READ_WITHOUT_THEME if without else str(theme_id))
        chosen = proposals.READ_WITHOUT_THEME if raw == proposals.READ_WITHOUT_THEME \
            else parse_id(raw)
        if not chosen:
            return None
        choices[comment_id] = chosen
    return theme_id, list(dict.fromkeys(rows)), choices


@bp.route("/moderering/hoeringer/<slug>/foreslatte-temaer", methods=["GET", "POST"])
@moderator_required
def theme_proposals(slug: str):
    """The proposed themes of the comments not analysed yet, grouped by theme (largest
    group first, most confident first within it). A group's form tags its ticked comments
    with the theme chosen in each row (the proposed one, another, or "read, no theme") and
    declines its unticked ones; "accept all above" a confidence first says how many it will
    tag (leaving out the comments unticked on the page), then tags them on confirmation."""
    consultation = _consultation_or_404(slug)
    errors: list[str] = []
    status = 422
    page = page_number(request.values.get("side"))
    if request.method == "POST":
        action = request.form.get("action", "group")
        if action == "above":
            percent = _percent(request.form.get("above"))
            excluded = _excluded(request.form.getlist("exclude"))
            if percent is None:
                errors.append(_("Write a confidence from 0 to 100 per cent."))
            elif excluded is None:
                errors.append(_("A proposal was not understood; reload the page and try again."))
            else:
                wanted = proposals.proposals_above(consultation, percent, excluded)
                if not wanted:
                    errors.append(_("No proposal has a confidence of %(percent)d %% or more.", percent=percent))
                elif request.form.get("confirm") != "1":
                    themes = {t.id: t for t in theme_services.themes_of(consultation.id)}
                    per_theme = Counter(t for _, t, _ in wanted)
                    return render_template("summaries/proposals_confirm.html", consultation=consultation,
                                           percent=percent, count=len(wanted), excluded=sorted(excluded),
                                           per_theme=[(themes[t], n) for t, n in per_theme.most_common()],
                                           page=page)
                else:
                    try:
                        changed = suggestions_services.accept_proposals(
                            consultation, current_user, [(c, t) for c, t, _ in wanted],
                            source=TagSource.PROPOSALS_ABOVE)
                    except ServiceError as error:
                        db.session.rollback()
                        errors.append(str(error.message))
                    else:
                        flash(ngettext("%(num)s comment tagged with its proposed theme.",
                                       "%(num)s comments tagged with their proposed themes.", changed), "success")
                        return redirect(url_for("summaries.theme_proposals", slug=slug), code=303)
        else:
            parsed = _group_choices(request.form)
            if parsed is None:
                errors.append(_("A proposal was not understood; reload the page and try again."))
            else:
                try:
                    result = proposals.accept_group(consultation, current_user, *parsed)
                except ServiceError as error:
                    db.session.rollback()
                    errors.append(str(error.message))
                    status = error.status
                else:
                    flash(_("Tagged with the proposed theme: %(accepted)d; with another theme: %(changed)d; "
                            "read, no theme: %(read)d; declined: %(declined)d.", accepted=result.accepted,
                            changed=result.changed, read=result.read, declined=result.declined), "success")
                    return redirect(url_for("summaries.theme_proposals", slug=slug, side=page if page > 1 else None),
                                    code=303)
        for message in errors:
            flash(message, "error")
    listing = proposals.proposal_page(consultation, page)
    by_size = [theme for theme, _count in theme_services.themes_by_size(consultation.id)]
    keys = {theme.id: key for theme, key in zip(by_size, theme_services.theme_keys(len(by_size)), strict=True)
            if key}
    return render_template("summaries/theme_proposals.html", consultation=consultation, listing=listing,
                           theme_keys=keys, themes_by_size=by_size,
                           themes=sorted(listing.themes.values(), key=lambda t: t.name.casefold()),
                           min_confidence=round(MIN_CONFIDENCE * 100), read_choice=READ_WITHOUT_THEME,
                           without_proposal=WITHOUT_PROPOSAL,
                           posted=request.form if errors else None), status if errors else 200


