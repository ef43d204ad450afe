"""Real-browser tests: the app served on a local port, driven with Playwright in Debian's
headless Chromium (never a downloaded browser; the network stays closed).

Without Chromium the tests are skipped in ``make test``; ``.ci/run`` installs Chromium and
sets ``HOERING_REQUIRE_BROWSER=1``, which turns a missing browser into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _browser_available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return os.path.exists(CHROMIUM)


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium for the whole session."""
    if not _browser_available():
        if os.environ.get("HOERING_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium and Playwright are required here (HOERING_REQUIRE_BROWSER=1)")
        pytest.skip("no Chromium or Playwright on this machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served on a free local port (threaded); yields its base URL."""
    from werkzeug.serving import make_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}"
    server.shutdown()
    thread.join(timeout=5)


#: Run in every page before its own content: any dialog or injected script that calls
#: these marks the page as compromised.
TRAP_SCRIPT = """
window.__xss = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => { window.__xss.push(name + ':' + args.join(',')); };
}
"""

#: The problems of one document (a JavaScript function of a ``Document``): no script
#: element but the site's own files (``/static/js/``, no inline code), no inline event handler or javascript: URL
#: anywhere, and inside comment bodies only p, br and a with href and rel (and the byline
#: of the report page, a plain-text ``p.meta``). It takes the
#: page's own ``document`` or one parsed from a fetched response with ``DOMParser``.
DOCUMENT_PROBLEMS = """
(doc) => {
  const problems = [];
  for (const script of doc.scripts) {
    if (!(script.getAttribute('src') || '').startsWith('/static/js/') || script.textContent.trim())
      problems.push('script element not from /static/js/: ' + (script.getAttribute('src') || 'inline'));
  }
  for (const el of doc.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) problems.push('handler ' + name + ' on ' + el.tagName);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(name)
          && (value.startsWith('javascript:') || value.startsWith('vbscript:') || value.startsWith('data:text/html')))
        problems.push(name + '=' + attr.value.slice(0, 60) + ' on ' + el.tagName);
    }
  }
  for (const body of doc.querySelectorAll('.comment-body, blockquote.quote')) {
    for (const el of body.querySelectorAll('*')) {
      // The byline the report page puts above the text: a paragraph of plain text.
      if (el.parentElement === body && el.matches('p.meta') && !el.children.length) continue;
      const tag = el.tagName.toLowerCase();
      if (!['p', 'br', 'a', 'footer', 'strong'].includes(tag)) problems.push('element ' + tag + ' in a comment');
      for (const attr of el.attributes)
        if (!['href', 'rel'].includes(attr.name)) problems.push('attribute ' + attr.name + ' in a comment');
    }
  }
  return problems;
}
"""

#: Checked in every page: :data:`DOCUMENT_PROBLEMS` of the page's own document.
DOM_CHECK = f"() => ({DOCUMENT_PROBLEMS.strip()})(document)"


def _watch(new_page):
    """Install the listeners: ``dialogs`` lists every dialog that opened (dismissed),
    ``server_errors`` every response with a 5xx status."""
    new_page.dialogs = []
    new_page.server_errors = []
    new_page.on("dialog", lambda dialog: (new_page.dialogs.append(dialog.message), dialog.dismiss()))
    new_page.on("response", lambda response: response.status >= 500
                and new_page.server_errors.append(f"{response.status} {response.url}"))
    return new_page


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser page with the dialog trap installed; ``page.dialogs`` lists any
    dialog that opened, ``page.server_errors`` any 5xx response."""
    context = chromium.new_context(base_url=live_server)
    context.add_init_script(TRAP_SCRIPT)
    new_page = _watch(context.new_page())
    yield new_page
    context.close()


def log_in(page, user, password: str | None = None) -> None:
    """Log in through the form at /logg-inn, as a person would."""
    from tests.conftest import TEST_PASSWORD

    page.goto("/logg-inn")
    page.fill("#email", user.email)
    page.fill("#password", password or getattr(user, "password", TEST_PASSWORD))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/logg-inn" not in page.url, f"login failed for {user.email}: {page.url}"


def assert_clean(page, where: str = "") -> None:
    """The page as it stands: no dialog opened, nothing called the trap, the DOM check
    finds nothing, and no response had a 5xx status."""
    fired = page.evaluate("window.__xss || []")
    problems = page.evaluate(DOM_CHECK)
    assert (page.dialogs, fired, problems[:5], page.server_errors) == ([], [], [], []), where or page.url


def visit(page, path: str, status: int | None = 200):
    """``page.goto(path)``, check the answer's status (``None``: any below 500) and that
    the page is clean (:func:`assert_clean`); returns the response."""
    response = page.goto(path)
    assert response is not None
    if status is None:
        assert response.status < 500, (path, response.status)
    else:
        assert response.status == status, (path, response.status, page.url)
    assert_clean(page, path)
    return response


@pytest.fixture
def open_page(chromium, live_server):
    """``open_page(user=None, **context_options)`` → a page in a new browser context (own
    cookies) with the trap and the listeners of :func:`page`, logged in as ``user`` if
    given. Contexts are closed after the test."""
    contexts = []

    def make(user=None, **options):
        context = chromium.new_context(base_url=live_server, **options)
        context.add_init_script(TRAP_SCRIPT)
        contexts.append(context)
        new_page = _watch(context.new_page())
        if user is not None:
            log_in(new_page, user)
        return new_page

    yield make
    for context in contexts:
        context.close()
