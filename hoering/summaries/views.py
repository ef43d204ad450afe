"""Moderators' pages for themes and the summary ("Dette har vi hørt")."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hoering import permissions
from hoering.consultations import services as consultation_services
from hoering.consultations.models import Consultation, Status
from hoering.exceptions import ServiceError, ValidationFailed
from hoering.extensions import db
from hoering.forms import MAX_ID, NOT_DONE, page_number, parse_id, submit
from hoering.i18n import ngettext, safe_next_url
from hoering.names import fold_name
from hoering.sanitize import normalize_line
from hoering.summaries import bp, coding, drafts, duplicates, services
from hoering.summaries import suggestions as suggestions_services
from hoering.summaries import themes as theme_services
from hoering.summaries.forms import DraftForm, SummaryForm, ThemeForm
from hoering.summaries.models import Theme
from hoering.summaries.suggestions import suggest_themes

ID = f"int(min=1, max={MAX_ID})"
moderator_required = permissions.requires(permissions.can_moderate)


def _consultation_or_404(slug: str) -> Consultation:
    """The consultation with ``slug`` if the current user may work on it, else 404 (a
    draft is the case officers'; of the moderators only admins reach one)."""
    consultation = consultation_services.get_by_slug(slug)
    if consultation is None or not permissions.can_moderate_consultation(current_user, consultation):
        abort(404)
    return consultation


def _theme_or_404(theme_id: int) -> Theme:
    """The theme with ``theme_id`` if the current user may work on its consultation, else 404."""
    theme = db.session.get(Theme, theme_id)
    if theme is None or not permissions.can_moderate_consultation(
            current_user, db.session.get(Consultation, theme.consultation_id)):
        abort(404)
    return theme


@bp.route("/moderering/hoeringer/<slug>/temaer", methods=["GET", "POST"])
@moderator_required
def themes(slug: str):
    """The consultation's themes with their counts, a form for a new theme, and the
    published comments no theme covers yet."""
    consultation = _consultation_or_404(slug)
    form = ThemeForm()
    created, status = submit(form, lambda: theme_services.create_theme(consultation, current_user, form.name.data,
                                                                  form.description.data or ""))
    if created is not NOT_DONE:
        flash(_("The theme “%(name)s” has been created.", name=created.name), "success")
        return redirect(url_for("summaries.themes", slug=slug), code=303)
    overview = theme_services.theme_overview(consultation, uncovered_limit=0)
    themes = [count.theme for count in overview.themes]
    comment_filter = coding.parse_filter(request.args.get("filter"), parse_id(request.args.get("filter_theme")),
                                         parse_id(request.args.get("filter_section")))
    if (comment_filter.kind == "theme" and comment_filter.theme_id not in {theme.id for theme in themes}) or (
            comment_filter.kind == "section"
            and comment_filter.section_id not in {section.id for section in consultation.sections}):
        abort(404)
    page = coding.comment_page(consultation.id, comment_filter, page_number(request.args.get("page")),
                               current_app.config["CODING_PER_PAGE"])
    return render_template("summaries/themes.html", consultation=consultation, overview=overview, form=form,
                           themes=themes, progress=coding.progress(consultation.id), comment_filter=comment_filter,
                           page=page, tags=theme_services.themes_by_comment([c.id for c in page.items]),
                           read_ids=coding.read_among([c.id for c in page.items])), status


@bp.route(f"/moderering/temaer/<{ID}:theme_id>", methods=["GET", "POST"])
@moderator_required
def theme(theme_id: int):
    """One theme: rename or describe it, see and untag its comments, merge or delete it."""
    theme = _theme_or_404(theme_id)
    consultation = db.session.get(Consultation, theme.consultation_id)
    form = ThemeForm(data={"name": theme.name, "description": theme.description}) if request.method == "GET" \
        else ThemeForm()
    saved, status = submit(form, lambda: theme_services.update_theme(theme, form.name.data, form.description.data or ""))
    if saved is not NOT_DONE:
        flash(_("The theme has been saved."), "success")
        return redirect(url_for("summaries.theme", theme_id=theme_id), code=303)
    others = [t for t in theme_services.themes_of(theme.consultation_id) if t.id != theme.id]
    page, published = coding.theme_comment_page(theme, page_number(request.args.get("page")),
                                                current_app.config["CODING_PER_PAGE"])
    return render_template("summaries/theme.html", theme=theme, consultation=consultation, form=form,
                           page=page, comments=page.items, published=published, others=others), status


@bp.post(f"/moderering/temaer/<{ID}:theme_id>/slett")
@moderator_required
def delete_theme(theme_id: int):
    """Delete a theme and its tags (the comments stay)."""
    theme = _theme_or_404(theme_id)
    consultation = db.session.get(Consultation, theme.consultation_id)
    name = theme.name
    theme_services.delete_theme(theme)
    flash(_("The theme “%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("summaries.themes", slug=consultation.slug), code=303)


@bp.post(f"/moderering/temaer/<{ID}:theme_id>/slaa-sammen")
@moderator_required
def merge_themes(theme_id: int):
    """Merge the ticked themes into this one."""
    theme = _theme_or_404(theme_id)
    ids = [i for i in (parse_id(raw) for raw in request.form.getlist("other")) if i]
    others = [t for t in (db.session.get(Theme, i) for i in ids) if t is not None
              and t.consultation_id == theme.consultation_id and t.id != theme.id]
    if not others:
        flash(_("Tick the themes to merge into this one."), "error")
    else:
        theme_services.merge_themes(theme, others)
        flash(ngettext("%(num)s theme merged into “%(name)s”.", "%(num)s themes merged into “%(name)s”.",
                       len(others), name=theme.name), "success")
    return redirect(url_for("summaries.theme", theme_id=theme_id), code=303)


@bp.post("/moderering/temaer/merk")
@moderator_required
def tag():
    """Tag the posted comments (``comment``, repeated) with a theme (``theme``), or untag
    them (``remove``); used from the thread view, the moderation queue, search results
    and the theme pages. Goes back to the posted ``back`` page of this site."""
    back = safe_next_url(request.form.get("back"), url_for("moderation.queue"))
    theme_id = parse_id(request.form.get("theme"))
    theme = db.session.get(Theme, theme_id) if theme_id else None
    if theme is not None and not permissions.can_moderate_consultation(
            current_user, db.session.get(Consultation, theme.consultation_id)):
        abort(404)  # a draft's theme is not revealed to moderators
    # "All on this page" in the moderation queue posts every comment of the page.
    field = "page_item" if request.form.get("all_on_page") else "comment"
    ids = [i for i in (parse_id(raw) for raw in request.form.getlist(field)) if i is not None]
    if theme is None:
        flash(_("Choose a theme."), "error")
        return redirect(back, code=303)
    if not ids:
        flash(_("Select at least one comment."), "error")
        return redirect(back, code=303)
    remove = request.form.get("remove") == "1"
    result = theme_services.tag_comments(theme, ids, current_user, remove=remove)
    if result.changed:
        message = ngettext("%(num)s comment untagged from “%(name)s”.", "%(num)s comments untagged from “%(name)s”.",
                           len(result.changed), name=theme.name) if remove else \
            ngettext("%(num)s comment tagged with “%(name)s”.", "%(num)s comments tagged with “%(name)s”.",
                     len(result.changed), name=theme.name)
        flash(message, "success")
    if result.unchanged and not result.changed:
        flash(_("Nothing changed: the comments were already so."), "info")
    if result.refused:
        flash(ngettext("%(num)s comment was left out: it is not a comment of the theme's consultation.",
                       "%(num)s comments were left out: they are not comments of the theme's consultation.",
                       len(result.refused)), "error")
    return redirect(back, code=303)


def _ids(text: str) -> list[int] | None:
    """Comment numbers typed as "12, #57 80"; ``None`` if something else was typed."""
    tokens = [token for token in re.split(r"[\s,;]+", text or "") if token]
    numbers = [parse_id(token.lstrip("#")) for token in tokens]
    return None if any(not n for n in numbers) else numbers


@bp.route("/moderering/temaer/<int(min=1, max=2147483647):theme_id>/utkast", methods=["GET", "POST"])
@moderator_required
def theme_draft(theme_id: int):
    """A draft paragraph for the summary built only from the theme's comments
    (:mod:`hoering.summaries.drafts`), to edit and put into the summary for the theme."""
    theme = _theme_or_404(theme_id)
    consultation = db.session.get(Consultation, theme.consultation_id)
    draft = drafts.theme_draft(consultation, theme)
    existing = services.summary_of(consultation.id)
    current = next((s.text_markdown for s in existing.sections if s.theme_id == theme.id), "") if existing else ""
    form = DraftForm(data={"text": draft.markdown, "quotes": ", ".join(str(i) for i in draft.representatives)})

    def save():
        quote_ids = _ids(form.quotes.data or "")
        if quote_ids is None:
            form.quotes.errors = [_("Write comment numbers separated by commas.")]
            raise ValidationFailed(_("Write comment numbers separated by commas."))
        if current and not form.replace.data:
            raise ValidationFailed(_("The summary already has a text for this theme. Tick “Replace” to put the "
                                     "draft in its place, or copy what you need from the draft."))
        drafts.apply_draft(consultation, theme, current_user, form.text.data, quote_ids,
                           loaded_version=request.form.get("version", ""))
        return True

    done, status = submit(form, save)
    if done is not NOT_DONE:
        flash(_("The draft is in the summary. Read it through, edit it, then save or publish."), "success")
        return redirect(url_for("summaries.summary", slug=consultation.slug) + f"#theme-{theme.id}", code=303)
    version = request.form.get("version", "") if request.method == "POST" else services.summary_version(existing)
    return render_template("summaries/draft.html", consultation=consultation, theme=theme, draft=draft, form=form,
                           current=current, version=version), status


@bp.post("/moderering/hoeringer/<slug>/oppsummering/utkast")
@moderator_required
def summary_drafts(slug: str):
    """Put the draft (:mod:`hoering.summaries.drafts`) into the summary for every theme
    that has comments and no text yet, then back to the summary to read and edit."""
    consultation = _consultation_or_404(slug)
    try:
        filled = drafts.apply_all_drafts(consultation, current_user, loaded_version=request.form.get("version", ""))
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(ngettext("The draft is in the summary for %(num)s theme. Read it through, edit it, then save or "
                       "publish.", "The drafts are in the summary for %(num)s themes. Read them through, edit "
                       "them, then save or publish.", len(filled)) if filled else
              _("Every theme with comments already has a text: nothing was changed."),
              "success" if filled else "info")
    return redirect(url_for("summaries.summary", slug=slug), code=303)


@bp.route("/moderering/hoeringer/<slug>/oppsummering", methods=["GET", "POST"])
@moderator_required
def summary(slug: str):
    """Write the summary: an overall text and a text per theme, with quoted comments;
    save as draft, publish, or take back to draft."""
    consultation = _consultation_or_404(slug)
    themes = theme_services.themes_of(consultation.id)
    existing = services.summary_of(consultation.id)
    if request.method == "GET" and existing is not None:
        published = services.published_ids([q.comment_id for q in existing.quotes if q.comment_id is not None])
        quotes = [str(q.comment_id) for q in existing.quotes if q.theme_id is None and q.comment_id in published]
        gone = sorted({q.comment_id for q in existing.quotes if q.comment_id is not None} - published)
        if gone:
            flash(_("Quoted comments that are no longer published were taken out: %(ids)s. Save to confirm.",
                    ids=", ".join(f"#{i}" for i in gone)), "info")
        form = SummaryForm(data={"overview": existing.overview_markdown, "overview_quotes": ", ".join(quotes)})
        texts = {s.theme_id: s.text_markdown for s in existing.sections}
        quoted = {(q.theme_id, q.comment_id) for q in existing.quotes if q.comment_id is not None}
        quoted_responses = _quoted_responses_kept(existing)
    else:
        form = SummaryForm()
        texts = {t.id: request.form.get(f"theme-{t.id}-text", "") for t in themes}
        quoted = {(t.id, i) for t in themes for i in
                  (parse_id(raw) for raw in request.form.getlist(f"theme-{t.id}-quote")) if i}
        quoted_responses = {(theme_id, i) for theme_id, field_name in
                            [(None, "overview-response"), *((t.id, f"theme-{t.id}-response") for t in themes)]
                            for i in (parse_id(raw) for raw in request.form.getlist(field_name)) if i}
    action = request.form.get("action", "save")

    def posted() -> services.SummaryInput:
        overview_quotes = _ids(form.overview_quotes.data or "")
        if overview_quotes is None:
            form.overview_quotes.errors = [_("Write comment numbers separated by commas.")]
            raise ValidationFailed(_("Write comment numbers separated by commas."))
        return services.SummaryInput(
            overview=form.overview.data or "",
            sections={t.id: texts.get(t.id, "") for t in themes},
            overview_quotes=overview_quotes,
            theme_quotes={t.id: [i for (theme_id, i) in sorted(quoted) if theme_id == t.id] for t in themes},
            overview_responses=sorted(i for (theme_id, i) in quoted_responses if theme_id is None),
            theme_responses={t.id: sorted(i for (theme_id, i) in quoted_responses if theme_id == t.id)
                             for t in themes},
        )

    def save():
        data = posted()
        saved = services.save_summary(consultation, current_user, data,
                                      loaded_version=request.form.get("version", ""))
        if action == "publish":
            services.publish_summary(consultation, current_user)
        elif action == "unpublish":
            services.publish_summary(consultation, current_user, publish=False)
        return saved

    progress = coding.progress(consultation.id)
    # Publishing while many published comments are not analysed asks first (a second POST
    # with ``confirm_unanalysed``); nothing is saved until then, and the form keeps the text.
    warning = (action == "publish" and request.method == "POST" and request.form.get("confirm_unanalysed") != "1"
               and progress.unanalysed_share > current_app.config["UNANALYSED_WARNING_SHARE"]
               and not (existing is not None and existing.published_at is not None)
               and consultation.status() in (Status.CLOSED, Status.SUMMARIZED))  # else publishing is refused anyway
    # "Forhåndsvis": the page as the public would see it, from what is typed; nothing is saved.
    preview = action == "preview" and request.method == "POST"
    heard, status = submit(form, lambda: services.summary_preview(consultation, posted())) if preview \
        else (NOT_DONE, 200)
    saved, status = (NOT_DONE, status) if warning or preview else submit(form, save)
    if saved is not NOT_DONE:
        flash({"publish": _("The summary is published on the consultation page."),
               "unpublish": _("The summary is a draft again; the public no longer sees it.")}
              .get(action, _("Your changes have been saved.")), "success")
        return redirect(url_for("summaries.summary", slug=slug), code=303)
    # Quote candidates: the theme's published comments, the most representative (by meaning)
    # first, not the most supported (:mod:`hoering.summaries.drafts`).
    ranked = drafts.ranked_themes(consultation) or {}
    candidates = {}
    for t in themes:
        rank = {comment_id: n for n, comment_id in enumerate(ranked.get(t.id, ([], []))[0])}
        candidates[t.id] = sorted(theme_services.theme_comments(t, states=("published",)),
                                  key=lambda c: (rank.get(c.id, len(rank)), c.id))
    version = request.form.get("version", "") if request.method == "POST" else services.summary_version(existing)
    responses, responses_by_theme = services.quotable_responses(consultation.id)
    return render_template("summaries/summary.html", consultation=consultation, form=form, themes=themes,
                           version=version, progress=progress, warning=warning,
                           texts=texts, quoted=quoted, candidates=candidates, summary=existing,
                           responses=responses, responses_by_theme=responses_by_theme,
                           quoted_responses=quoted_responses,
                           preview_html=Markup(render_template("summaries/_heard.html", heard=heard,
                                                               consultation=consultation))
                           if heard is not NOT_DONE else None), status


def _quoted_responses_kept(existing) -> set[tuple[int | None, int]]:
    """The summary's quoted formal responses that are still published, as ``{(theme id or
    None, response id)}``; those held back since are named in a message and taken out."""
    ids = [q.response_id for q in existing.quotes if q.response_id is not None]
    shown = services.published_response_ids(ids)
    gone = [q.response_id for q in existing.quotes if q.response_id is not None and q.response_id not in shown]
    if gone:
        references = services.response_references(gone)
        flash(_("Quoted formal responses that are no longer published were taken out: %(refs)s. Save to confirm.",
                refs=", ".join(references)), "info")
    return {(q.theme_id, q.response_id) for q in existing.quotes if q.response_id in shown}


@bp.get("/moderering/hoeringer/<slug>/duplikater")
@moderator_required
def duplicates_page(slug: str):
    """Groups of near-duplicate comments (campaigns, reposts), with their states."""
    consultation = _consultation_or_404(slug)
    groups = duplicates.duplicate_groups(consultation)
    return render_template("summaries/duplicates.html", consultation=consultation, groups=groups,
                           meaning=duplicates.SEMANTIC_THRESHOLD, wording=duplicates.TEXTUAL_THRESHOLD,
                           themes=theme_services.themes_of(consultation.id))


@bp.route("/moderering/hoeringer/<slug>/temaforslag", methods=["GET", "POST"])
@moderator_required
def suggestions(slug: str):
    """Proposed themes for the comments no theme covers: tick the ones to keep, rename
    them, give two the same name to merge them; the others are discarded."""
    consultation = _consultation_or_404(slug)
    if request.method == "POST":
        chosen: dict[str, tuple[str, str, list[int]]] = {}
        numbers = sorted({int(key.split("-")[1]) for key in request.form
                          if re.fullmatch(r"proposal-\d{1,2}-accept", key)})  # at most 12 proposals are made
        errors = []
        named: dict[str, tuple[int, str]] = {}
        for number in numbers:
            name = normalize_line(request.form.get(f"proposal-{number}-name", ""))
            description = request.form.get(f"proposal-{number}-description", "")
            # The members are tagged only when the moderator asks for it: a group is often
            # a mixture (docs/SUMMARIES.md); otherwise they get proposals like any comment.
            tag_members = request.form.get(f"proposal-{number}-tag") == "1"
            ids = [i for i in (parse_id(raw) for raw in request.form.getlist(f"proposal-{number}-comment")) if i]
            if not name:
                errors.append(_("Proposal %(num)s needs a name.", num=number))
                continue
            try:
                name, description = theme_services.check_theme_text(name, description)
            except ServiceError as error:
                errors.append(_("Proposal %(num)s", num=number) + f": {error.message}")
                continue
            key = name.casefold()
            named.setdefault(key, (number, name))
            entry = chosen.setdefault(key, (name, description, [], []))
            if description and not entry[1]:
                chosen[key] = entry = (entry[0], description, entry[2], entry[3])
            (entry[2] if tag_members else entry[3]).extend(ids)
        if not numbers:
            errors.append(_("Tick the proposals you want to keep."))
        if not errors:
            errors.extend(_kept_name_clashes(consultation, list(named.values())))
        if not errors:
            try:
                created = _accept_proposals(consultation, list(chosen.values()))
            except ServiceError as error:
                db.session.rollback()
                errors.append(str(error.message))
            else:
                flash(ngettext("%(num)s theme saved from the proposals.", "%(num)s themes saved from the proposals.",
                               created), "success")
                return redirect(url_for("summaries.themes", slug=slug), code=303)
        for message in errors:
            flash(message, "error")
        return render_template("summaries/suggestions.html", consultation=consultation,
                               proposals=suggest_themes(consultation), posted=request.form), 422
    return render_template("summaries/suggestions.html", consultation=consultation,
                           proposals=suggest_themes(consultation), posted=None)


def _kept_name_clashes(consultation: Consultation, named: list[tuple[int, str]]) -> list[str]:
    """Why the names of the groups to keep (``[(proposal number, name)]``, one a name)
    cannot all be saved: a name that only looks like another theme's (a theme of exactly
    that name, ignoring case, is reused), or like another kept group's. Checked before
    anything is saved, so that the groups are kept all or none."""
    existing = {theme.name.casefold() for theme in theme_services.themes_of(consultation.id)}
    messages, seen = [], {}
    for number, name in named:
        folded = fold_name(name)
        if folded in seen:
            messages.append(_("Proposal %(num)s: the name looks like “%(name)s”, the name of another proposal. "
                              "Give them the same name to keep them as one theme, or names that differ.",
                              num=number, name=seen[folded]))
            continue
        seen[folded] = name
        if name.casefold() not in existing:
            try:
                theme_services.check_name_free(consultation.id, name)
            except ServiceError as error:
                messages.append(_("Proposal %(num)s", num=number) + f": {error.message}")
    return messages


def _accept_proposals(consultation: Consultation, chosen: list[tuple[str, str, list[int], list[int]]]) -> int:
    """Keep each chosen group as a theme (created, or reused by name): tag the comments
    listed for tagging, and keep the others as the theme's seed examples; one transaction,
    so the groups are kept all or none."""
    for name, description, tagged, seeds in chosen:
        suggestions_services.keep_discovered(consultation, current_user, name, description, tagged, seeds,
                                             commit=False)
    db.session.commit()
    return len(chosen)


@bp.errorhandler(IntegrityError)
@bp.errorhandler(StaleDataError)
def concurrent_change(error):
    """Two moderators changed the same themes at once (one merged or deleted a theme the
    other was using): nothing of the later request was saved; say so and go back."""
    db.session.rollback()
    flash(_("Someone else changed these themes at the same moment, so nothing was saved. Look again and retry."),
          "error")
    fallback = url_for("moderation.queue")
    target = safe_next_url(request.form.get("back") or request.referrer and urlsplit(request.referrer).path,
                           fallback)
    return redirect(target, code=303)
