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

#: Checked in every page: no script element at all (the site has none), no inline event
#: handler or javascript: URL anywhere, and inside comment bodies only p, br and a with
#: href and rel.
DOM_CHECK = """
() => {
  const problems = [];
  if (document.scripts.length) problems.push('script elements: ' + document.scripts.length);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) problems.push('handler ' + name + ' on ' + el.tagName);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(name)
          && (value.startsWith('javascript:') || value.startsWith('vbscript:') || value.startsWith('data:text/html')))
        problems.push(name + '=' + attr.value.slice(0, 60) + ' on ' + el.tagName);
    }
  }
  for (const body of document.querySelectorAll('.comment-body, blockquote.quote')) {
    for (const el of body.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (!['p', 'br', 'a', 'footer', 'strong'].includes(tag)) problems.push('element ' + tag + ' in a comment');
      for (const attr of el.attributes)
        if (!['href', 'rel'].includes(attr.name)) problems.push('attribute ' + attr.name + ' in a comment');
    }
  }
  return problems;
}
"""


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser page with the dialog trap installed; ``page.dialogs`` lists any
    dialog that opened."""
    context = chromium.new_context(base_url=live_server)
    context.add_init_script(TRAP_SCRIPT)
    new_page = context.new_page()
    new_page.dialogs = []
    new_page.on("dialog", lambda dialog: (new_page.dialogs.append(dialog.message), dialog.dismiss()))
    yield new_page
    context.close()
