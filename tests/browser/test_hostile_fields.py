"""Every string of the Big List of Naughty Strings and every XSS payload, typed into the
forms and query parameters of the site in Chromium, then every page that shows them
viewed there: no dialog opens, no script runs (the trap stays empty), the DOM check finds
nothing, and no answer is a 5xx.

Each string is posted with the page's real ``<form>`` (``new FormData(form)`` carries the
CSRF token and the hidden fields) through ``fetch`` inside the page, a few at once; every
HTML answer (a form re-rendered with an error too) is parsed with ``DOMParser`` and
checked like a page. Successful posts are not followed unless the page they lead to is
small: what they stored is checked afterwards by navigating every page that shows it.

The product of all strings and all fields does not fit in the time of a CI run (the test
server answers about 60 requests a second, and every stored comment makes the pages to
view longer), so the strings are dealt round-robin to the fields and groups of query
parameters (:data:`DECK`): each string goes through one of them, and each of them gets an
even share of both lists; the fields whose text is rendered as HTML rather than escaped
(the comment, and the search query whose snippets are highlighted) get larger shares.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.browser.conftest import DOCUMENT_PROBLEMS, assert_clean, visit
from tests.browser.test_hostile_input import payloads
from tests.conftest import shared_data

#: The fields and groups of query parameters the strings are dealt to, in turn: a field
#: named n times gets n shares.
DECK = ("comment", "reply", "search", "comment", "report", "display_name", "comment", "moderator_note",
        "consultation", "comment", "search_filters", "queue_filters", "search", "log_filters", "thread_params",
        "other_params")
#: Requests in flight at once from one page (the test server is threaded).
CONCURRENCY = 4
#: Whole words that hold a comment for a moderator (``MODERATION_HOLD_WORDS``), so that
#: held comments with hostile text wait in the queue (about one string in ten has one).
HOLD_WORDS = ["onerror", "iframe"]
#: Every n-th string of a group is also opened with a real navigation.
NAVIGATE_EVERY = 25


def all_strings() -> list[str]:
    with open(shared_data("blns", "blns.json"), encoding="utf-8") as handle:
        naughty = json.load(handle)
    return list(dict.fromkeys([*naughty, *payloads()]))


#: ``HOERING_HOSTILE_EVERY_FIELD=1`` sends every string through every field and parameter
#: group (about 16 times the requests: several minutes, so not in every CI run).
EVERY_FIELD = os.environ.get("HOERING_HOSTILE_EVERY_FIELD") == "1"


def share(strings: list[str], group: str) -> list[tuple[int, str]]:
    """``(index, string)`` of the strings dealt to ``group`` (all of them with
    :data:`EVERY_FIELD`)."""
    assert group in DECK
    return [(i, s) for i, s in enumerate(strings) if EVERY_FIELD or DECK[i % len(DECK)] == group]


#: Sends a batch of requests from inside the page and checks every answer; see run_batch.
RUN_BATCH = """
async ({formSelector, requests, concurrency, drainEvery}) => {
  const problemsOf = DOCUMENT_PROBLEMS;
  const form = formSelector ? document.querySelector(formSelector) : null;
  if (formSelector && !form) return {failures: [[-1, 'no form ' + formSelector + ' in ' + location.href]], statuses: {}, refused: []};
  // Not form.action: a field named "action" would shadow it.
  const action = form ? new URL(form.getAttribute('action') || '', location.href).href : null;
  const failures = [], statuses = {}, refused = [];
  let next = 0, sent = 0;
  async function check(tag, response) {
    const key = response.type === 'opaqueredirect' ? 'redirect' : String(response.status);
    statuses[key] = (statuses[key] || 0) + 1;
    if (key !== 'redirect' && key !== '200') refused.push([tag, key]);
    if (response.status >= 500) { failures.push([tag, 'status ' + response.status + ' ' + response.url]); return; }
    if (response.type === 'opaqueredirect') return;
    if (!(response.headers.get('content-type') || '').startsWith('text/html')) return;
    const problems = problemsOf(new DOMParser().parseFromString(await response.text(), 'text/html'));
    if (problems.length) failures.push([tag, response.url + ': ' + problems.slice(0, 5).join('; ')]);
  }
  async function worker() {
    while (next < requests.length) {
      const request = requests[next++];
      const init = {credentials: 'same-origin', redirect: request.follow ? 'follow' : 'manual'};
      if (form) {
        const body = new FormData(form);
        for (const [name, value] of Object.entries(request.fields || {})) body.set(name, value);
        init.method = 'POST';
        init.body = body;
      }
      try {
        await check(request.tag, await fetch(request.url || action, init));
        for (const url of request.then || []) await check(request.tag, await fetch(url, {credentials: 'same-origin'}));
        // Posts that are not followed leave their flash message in the session: show them.
        if (drainEvery && ++sent % drainEvery === 0) await check(request.tag, await fetch('/personvern', {credentials: 'same-origin'}));
      } catch (error) {
        failures.push([request.tag, 'fetch failed: ' + error]);
      }
    }
  }
  await Promise.all(Array.from({length: concurrency}, worker));
  return {failures, statuses, refused};
}
""".replace("DOCUMENT_PROBLEMS", DOCUMENT_PROBLEMS.strip())


def _batch_arguments(requests, form, concurrency, drain_every) -> dict:
    return {"formSelector": form, "requests": requests, "concurrency": concurrency, "drainEvery": drain_every}


def _checked(page, result: dict, strings: list[str] | None) -> dict:
    def label(tag):
        return strings[tag][:80] if strings and 0 <= tag < len(strings) else tag

    failures = [f"{label(tag)!r}: {problem}" for tag, problem in result["failures"]]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:10])
    page.refused = [(label(tag), status) for tag, status in result.get("refused", [])]
    return result["statuses"]


def run_batch(page, requests: list[dict], form: str | None = None, strings: list[str] | None = None,
              concurrency: int = CONCURRENCY, drain_every: int = 0) -> dict:
    """Send ``requests`` from inside ``page`` and check every answer.

    Each request is ``{"tag": index, "url": …, "fields": {name: value}, "follow": bool,
    "then": [url, …]}``. With ``form`` (a selector) each is a POST of ``new FormData(form)``
    with ``fields`` set, to ``url`` or else the form's action; without, a GET of ``url``.
    Redirects are not followed unless ``follow``; ``then`` lists pages fetched and checked
    after the request. Asserts that no answer was a 5xx and no HTML answer had a problem;
    returns the count of answers by status ("redirect": a redirect not followed), and
    leaves the strings refused with a 4xx in ``page.refused``.
    """
    return _checked(page, page.evaluate(RUN_BATCH, _batch_arguments(requests, form, concurrency, drain_every)),
                    strings)


def start_batch(page, requests: list[dict], form: str | None = None, concurrency: int = 1,
                drain_every: int = 0, script: str = RUN_BATCH) -> None:
    """Like :func:`run_batch`, but in the background: the page must not navigate until
    :func:`finish_batch` has collected the result."""
    page.evaluate(f"(args) => {{ window.__batch = ({script.strip()})(args); }}",
                  _batch_arguments(requests, form, concurrency, drain_every))


def finish_batch(page, strings: list[str] | None = None) -> dict:
    return _checked(page, page.evaluate("() => window.__batch"), strings)


#: Lock and unlock a thread from its moderation page, with each string as the note in
#: turn (one at a time: every action raises the comment's version, which the next post
#: must carry).
NOTE_LOOP = """
async ({requests}) => {
  const problemsOf = DOCUMENT_PROBLEMS;
  const form = document.querySelector('form.action-form input[name=action][value=lock]').form;
  const url = new URL(form.getAttribute('action'), location.href).href;  // form.action is the field "action"
  let version = Number(form.querySelector('[name=version]').value), action = 'lock', done = 0;
  const failures = [], statuses = {};
  for (const request of requests) {
    const body = new FormData(form);
    body.set('action', action);
    body.set('version', String(version));
    body.set('note', request.fields.note);
    const response = await fetch(url, {method: 'POST', body, credentials: 'same-origin', redirect: 'manual'});
    const key = response.type === 'opaqueredirect' ? 'redirect' : String(response.status);
    statuses[key] = (statuses[key] || 0) + 1;
    if (key === 'redirect') {
      version += 1;
      action = action === 'lock' ? 'unlock' : 'lock';
      if (++done % 10 === 0) await fetch('/personvern', {credentials: 'same-origin'});
      continue;
    }
    if (response.status >= 500) { failures.push([request.tag, 'status ' + response.status]); continue; }
    const problems = problemsOf(new DOMParser().parseFromString(await response.text(), 'text/html'));
    if (problems.length) failures.push([request.tag, problems.slice(0, 3).join('; ')]);
  }
  return {failures, statuses};
}
""".replace("DOCUMENT_PROBLEMS", DOCUMENT_PROBLEMS.strip())


def navigate_all_pages(page, path: str) -> int:
    """Open ``path`` and follow its "next" links to the last page, checking each; returns
    the number of pages."""
    count, url = 0, path
    while url:
        visit(page, url)
        count += 1
        url = page.evaluate("document.querySelector('nav.pagination a[rel=next]')?.getAttribute('href') || null")
    return count


@pytest.fixture
def fast_app(app, monkeypatch):
    """The test app without rate limits (thousands of posts a minute from one account)
    and with hold words, so that some hostile comments wait for a moderator.

    Flask-Limiter reads ``RATELIMIT_ENABLED`` once, when the app is built, so changing
    ``app.config`` now would do nothing: the limiter itself is switched off instead."""
    from hoering.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    monkeypatch.setitem(app.config, "MODERATION_HOLD_WORDS", HOLD_WORDS)
    return app


def _scalars(app, statement) -> list:
    from hoering.extensions import db

    with app.app_context():
        rows = list(db.session.scalars(statement))
        db.session.remove()
        return rows


def _index_now(app) -> None:
    """Apply the queued search-index tasks, as the index worker would."""
    from hoering.extensions import db
    from hoering.search.services import process_pending

    with app.app_context():
        process_pending(max_rounds=1000)
        db.session.remove()


class Timer:
    """Seconds per phase (printed with ``pytest -s``)."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self.last, 1)
        self.last = now

    def report(self) -> str:
        phases = ", ".join(f"{name} {seconds}s" for name, seconds in self.phases.items())
        return f"total {time.perf_counter() - self.started:.1f}s: {phases}"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.mark.browser
def test_strings_through_the_citizen_and_moderator_fields(fast_app, open_page, make_user, make_consultation):
    """Comment, reply, report text, display name, moderator's note and the search query,
    then every page that shows them: all pages of the consultation, the
    moderation queue, the audit log, search results, the authors' pages, the report."""
    from hoering.comments.models import Comment

    app = fast_app
    strings = all_strings()
    assert len(strings) > 1800
    timer = Timer()
    consultation = make_consultation(title="Naughty strings", questions=("Hva mener du?",))
    names_consultation = make_consultation(title="Navnebytte")
    author = make_user(name="Forfatter", consented=False)
    reporter = make_user(name="Melder")
    renamed = make_user(name="Navnebytter")
    moderator = make_user(role="moderator", name="Moderator")

    # The author's first comment through the form, with the consent asked at the first one.
    writer = open_page(author)
    visit(writer, f"/hoeringer/{consultation.slug}")
    writer.fill("#comment-text", "Mitt første innspill")
    writer.check("#comment-consent")
    _submit(writer, ".comment-form button[type=submit]")
    assert "Mitt første innspill" in writer.content()
    assert_clean(writer)

    # Display names: a citizen with a comment on a small consultation, answered and
    # reported by another, changes name again and again in the background while the rest
    # is posted; each change is checked on their page and on that consultation.
    renamer = open_page(renamed)
    visit(renamer, f"/hoeringer/{names_consultation.slug}")
    renamer.fill("#comment-text", "Et innspill under skiftende navn")
    _submit(renamer, ".comment-form button[type=submit]")
    flagger = open_page(reporter)
    visit(flagger, f"/hoeringer/{names_consultation.slug}")
    flagger.click("details.reply summary")
    flagger.fill("details.reply[open] textarea", "Et svar til den som bytter navn")
    _submit(flagger, "details.reply[open] button[type=submit]")
    _submit(flagger, "article.comment a[href$='/rapporter']")
    flagger.check("input[name=reason][value=other]")
    _submit(flagger, "main form button[type=submit]")
    assert_clean(flagger)
    visit(renamer, "/min-side")
    names = share(strings, "display_name")
    start_batch(renamer, [{"tag": i, "fields": {"display_name": s}, "follow": True,
                           "then": [f"/hoeringer/{names_consultation.slug}"]} for i, s in names],
                form="main form.narrow-form")
    timer.lap("setup")

    # New comments (two hold words keep some for a moderator).
    comments = share(strings, "comment")
    visit(writer, f"/hoeringer/{consultation.slug}")
    assert writer.locator("#comment-consent").count() == 0  # asked at the first comment only
    statuses = run_batch(writer, [{"tag": i, "fields": {"text": s}} for i, s in comments],
                         form="form.comment-form", strings=strings, drain_every=10)
    # Refused (400 or 422): the strings with nothing visible in them.
    assert statuses.get("redirect", 0) >= len(comments) - 10, (statuses, writer.refused)
    timer.lap("comments")

    published = _scalars(app, sa.select(Comment.id).where(
        Comment.consultation_id == consultation.id, Comment.state == "published", Comment.parent_id.is_(None),
        Comment.author_id == author.id).order_by(Comment.id))
    held = len(_scalars(app, sa.select(Comment.id).where(Comment.state == "pending")))
    assert held > 20 and len(published) > 300, (held, len(published))

    # The moderator's note for the log, in the background: lock and unlock a thread.
    watcher = open_page(moderator)
    noter = watcher.context.new_page()
    noter.goto(f"/moderering/kommentarer/{published[0]}")
    notes = share(strings, "moderator_note")
    start_batch(noter, [{"tag": i, "fields": {"note": s}} for i, s in notes], script=NOTE_LOOP)

    # Replies, each to its own published comment.
    replies = share(strings, "reply")
    visit(writer, f"/hoeringer/{consultation.slug}")
    run_batch(writer, [{"tag": i, "fields": {"text": s, "parent_id": str(published[n % len(published)])}}
                       for n, (i, s) in enumerate(replies)], form="details.reply form", strings=strings, drain_every=10)
    timer.lap("replies")

    # Report texts, each on its own published comment, by another citizen.
    reports = share(strings, "report")
    reasons = ("spam", "offensive", "personal_information", "off_topic", "other")
    reported = published[-len(reports):]
    visit(flagger, f"/kommentarer/{reported[0]}/rapporter")
    run_batch(flagger, [{"tag": i, "url": f"/kommentarer/{reported[n % len(reported)]}/rapporter",
                         "fields": {"text": s, "reason": reasons[n % len(reasons)]}}
                        for n, (i, s) in enumerate(reports)], form="main form", strings=strings, drain_every=10)
    visit(watcher, f"/moderering?consultation={names_consultation.id}")  # with the display name of the moment
    timer.lap("reports")

    notes_done = finish_batch(noter, strings)
    assert notes_done.get("redirect", 0) >= len(notes) - 5, notes_done
    names_done = finish_batch(renamer, strings)
    # A change is followed to the citizen's page, then the consultation is fetched; names
    # too long or with nothing visible come back in the form (422).
    assert set(names_done) <= {"200", "422"} and names_done["200"] > 1.5 * len(names), names_done
    timer.lap("notes and display names")

    # The search query, as a moderator (who finds comments in every state).
    _index_now(app)
    searches = share(strings, "search")
    visit(watcher, "/sok")
    run_batch(watcher, [{"tag": i, "url": "/sok?" + urlencode({"q": s})} for i, s in searches], strings=strings)
    for _, s in searches[::NAVIGATE_EVERY]:
        visit(watcher, "/sok?" + urlencode({"q": s}))
        visit(writer, "/sok?" + urlencode({"q": s}))
    timer.lap("index and searches")

    # Every page that shows what was stored, with real navigations.
    pages = navigate_all_pages(writer, f"/hoeringer/{consultation.slug}")  # the author sees the held ones too
    assert pages > len(published) // app.config["THREADS_PER_PAGE"]
    timer.lap(f"consultation ({pages} pages)")
    for viewer, path in ((writer, f"/hoeringer/{names_consultation.slug}"), (writer, "/min-side"),
                         (flagger, "/min-side"), (renamer, "/min-side"), (renamer, f"/hoeringer/{names_consultation.slug}")):
        visit(viewer, path)
    queue_pages = navigate_all_pages(watcher, "/moderering")  # held comments, reports and their texts
    assert queue_pages > (held + len(reports)) // app.config["MODERATION_PER_PAGE"]
    log_pages = navigate_all_pages(watcher, "/moderering/logg")  # the notes
    for path in (f"/moderering/kommentarer/{published[0]}", "/moderering/oversikt",
                 f"/hoeringer/{consultation.slug}/rapport", f"/moderering/hoeringer/{consultation.slug}/temaer",
                 f"/moderering/hoeringer/{consultation.slug}/duplikater", f"/saksbehandling/hoeringer/{consultation.slug}"):
        visit(watcher, path)
    timer.lap(f"queue ({queue_pages} pages), log ({log_pages} pages), staff pages")
    print(timer.report())


@pytest.mark.browser
def test_a_share_of_the_strings_through_the_consultation_form(fast_app, open_page, make_user, make_consultation,
                                                               make_comment):
    """Title, summary, case text, questions, responsible unit and political body in the
    case officer's edit form; after each save the consultation page and the form again,
    and at every 25th the other pages that show the title."""
    strings = all_strings()
    timer = Timer()
    consultation = make_consultation(title="Skal endres")
    make_comment(consultation, make_user(name="Innbygger"), "Et innspill")
    officer = open_page(make_user(role="case_officer"))
    watcher = open_page(make_user(role="moderator"))
    edit = f"/saksbehandling/hoeringer/{consultation.slug}/rediger"
    visit(officer, edit)
    fields = ("title", "summary", "body_markdown", "questions", "responsible_unit", "political_body")
    chunk_pages = ("/", f"/saksbehandling/hoeringer/{consultation.slug}/livslop",
                   f"/saksbehandling/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/rapport",
                   f"/arshjul?year={dt.date.today().year}")
    saved = 0
    dealt = share(strings, "consultation")
    for start in range(0, len(dealt), NAVIGATE_EVERY):
        chunk = dealt[start:start + NAVIGATE_EVERY]
        statuses = run_batch(officer, [{"tag": i, "fields": dict.fromkeys(fields, s), "follow": True, "then": [edit]}
                                       for i, s in chunk], form="main form", strings=strings, concurrency=1)
        saved += statuses.get("200", 0) - len(chunk)  # a save: the page and the form; a refusal: the form
        for path in chunk_pages:
            visit(officer, path)
        visit(watcher, "/moderering")  # the title among the filter's choices
        visit(watcher, "/moderering/oversikt")
        visit(officer, edit)
    assert saved > len(dealt) // 2, saved
    timer.lap("consultation form")
    print(timer.report())


@pytest.mark.browser
def test_a_share_of_the_strings_in_every_query_parameter(fast_app, open_page, make_user, make_consultation,
                                                         make_comment):
    """The query parameters of the search page, the moderation queue, the audit log, the
    consultation page, the user list, the year plan and the login and registration pages;
    every answer checked, and every 25th string also opened with a real navigation."""
    strings = all_strings()
    timer = Timer()
    consultation = make_consultation(title="Parametre", questions=("Hva mener du?",))
    citizen = make_user(name="Innbygger")
    top = make_comment(consultation, citizen, "Et innspill om sykkelvei")
    make_comment(consultation, make_user(name="Svarer"), "Et svar om sykkelvei", parent=top)
    make_comment(consultation, citizen, "Et innspill som venter", state="pending")
    _index_now(fast_app)
    anonymous = open_page()
    visit(anonymous, "/")
    reader = open_page(make_user())
    moderator = open_page(make_user(role="moderator"))
    admin = open_page(make_user(role="admin"))

    def search(n, s):
        if n % 2:  # the filters that take an id: results are empty with a malformed one
            return {"q": "sykkelvei", "consultation": s, "theme": s, "page": s}
        return {"q": "sykkelvei", "type": s, "status": s, "from": s, "to": s, "state": s, "sort": s, "page": s}

    groups = {
        "search_filters": [(moderator, lambda n, s: "/sok?" + urlencode(search(n, s)))],
        "queue_filters": [(moderator, lambda n, s: "/moderering?" + urlencode(
            {"consultation": s, "state": s, "reason": s, "q": s, "page": s}))],
        "log_filters": [(moderator, lambda n, s: "/moderering/logg?" + urlencode(dict.fromkeys(
            ("action", "actor", "consultation", "comment", "from", "to", "page"), s))),
            (moderator, lambda n, s: "/moderering/logg.csv?" + urlencode({"action": s, "from": s, "to": s}))],
        "thread_params": [(reader, lambda n, s: f"/hoeringer/{consultation.slug}?" + urlencode({"sort": s, "page": s})),
                          (anonymous, lambda n, s: f"/hoeringer/{consultation.slug}?" + urlencode({"sort": s, "page": s}))],
        "other_params": [(admin, lambda n, s: "/admin/brukere?" + urlencode({"q": s, "role": s, "page": s})),
                         (anonymous, lambda n, s: "/arshjul?" + urlencode({"year": s})),
                         (anonymous, lambda n, s: "/arkiv?" + urlencode({"page": s})),
                         (anonymous, lambda n, s: "/logg-inn?" + urlencode({"next": s})),
                         (anonymous, lambda n, s: "/registrer?" + urlencode({"next": s}))],
    }
    for group, targets in groups.items():
        # The group's strings are dealt in turn to its pages.
        dealt = list(enumerate(share(strings, group)))
        for k, (viewer, url) in enumerate(targets):
            mine = dealt[k::len(targets)]
            run_batch(viewer, [{"tag": i, "url": url(n, s)} for n, (i, s) in mine], strings=strings)
            for n, (_, s) in mine[::NAVIGATE_EVERY // len(targets)]:
                if ".csv" not in url(n, s):
                    visit(viewer, url(n, s), status=None)
        timer.lap(group)
    print(timer.report())


@pytest.mark.browser
def test_the_batch_check_catches_an_unsafe_answer(open_page):
    """The detectors themselves: fetched answers with an injected handler, a script or a
    5xx status fail the batch; the same answer opened as a page fires the trap."""
    page = open_page()
    unsafe = ('<!doctype html><html><body><div class="comment-body"><p>Hei</p><img src=x onerror=alert(1)></div>'
              '<a href="javascript:alert(2)">lenke</a><script>confirm(3)</script></body></html>')
    page.route("**/falsk/usikker*", lambda route: route.fulfill(status=200, content_type="text/html", body=unsafe))
    page.route("**/falsk/feil*", lambda route: route.fulfill(status=500, content_type="text/html", body="<p>Feil</p>"))
    page.route("**/falsk/trygg*", lambda route: route.fulfill(status=200, content_type="text/html",
                                                               body='<div class="comment-body"><p>Hei</p></div>'))
    visit(page, "/personvern")
    assert run_batch(page, [{"tag": 0, "url": "/falsk/trygg"}]) == {"200": 1}
    with pytest.raises(AssertionError) as caught:
        run_batch(page, [{"tag": 0, "url": "/falsk/usikker"}, {"tag": 1, "url": "/falsk/feil"}],
                  strings=["<img src=x onerror=alert(1)>", "feil"])
    message = str(caught.value)
    for expected in ("handler onerror on IMG", "javascript:alert(2)", "element img in a comment",
                     "script element not from /static/js/: inline",
                     "status 500"):
        assert expected in message, (expected, message)
    # A form re-rendered with the string must be safe too: a posted form whose answer is unsafe fails.
    page.route("**/falsk/skjema*", lambda route: route.fulfill(status=422, content_type="text/html", body=unsafe))
    page.set_content('<form method="post" action="/falsk/skjema"><input name="text"></form>')
    with pytest.raises(AssertionError, match="handler onerror"):
        run_batch(page, [{"tag": 0, "fields": {"text": "<img src=x onerror=alert(1)>"}}], form="form")
    # Opened as a page, the same answer runs its handler and script, which the trap records.
    page.goto("/falsk/usikker")
    page.wait_for_timeout(200)
    with pytest.raises(AssertionError):
        assert_clean(page)
    assert page.evaluate("window.__xss")
