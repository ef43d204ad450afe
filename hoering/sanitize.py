"""The one place that turns user text into HTML (DESIGN §2).

Two kinds of text:

* citizen comments are plain text: escaped, paragraphs and line breaks kept, URLs
  linkified with ``rel="nofollow ugc noopener"``, then cleaned against a small allowlist;
* staff-written consultation bodies are Markdown, rendered with Python-Markdown and then
  cleaned against a wider allowlist.

bleach 6.4.0 is its final release; everything bleach-specific stays in this module so it
can be swapped for another sanitizer that passes the same test corpus
(``shared/data/bleach-vectors``, ``xss-payloads``).
"""

from __future__ import annotations

import html as html_module
import re
import threading
import unicodedata
from functools import partial

import bleach
import icu
import markdown as markdown_lib
from bleach import html5lib_shim
from bleach.linkifier import LinkifyFilter
from markupsafe import Markup, escape

#: Tags allowed in a rendered citizen comment. No style, svg, math or img, ever.
COMMENT_TAGS = frozenset({"p", "br", "a"})
COMMENT_ATTRIBUTES = {"a": ["href", "rel"]}
#: Tags allowed in staff-written Markdown (consultation body).
MARKDOWN_TAGS = frozenset(
    {
        "p", "br", "a", "strong", "em", "b", "i", "code", "pre", "blockquote",
        "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "hr", "abbr",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)
MARKDOWN_ATTRIBUTES = {"a": ["href", "title", "rel"], "abbr": ["title"], "th": ["scope"]}
PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _set_link_rel(attrs: dict, new: bool = False) -> dict:
    """bleach linkify callback: every link citizens post gets ``rel="nofollow ugc noopener"``."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


class _PerThreadCleaner:
    """A ``bleach.Cleaner`` for each thread: a Cleaner keeps parser state between calls
    and is not thread-safe (two threads cleaning at once can swap their texts), while
    building one costs more than a clean, so each thread builds its own once."""

    def __init__(self, **options):
        self.options = options
        self.local = threading.local()

    def clean(self, text: str) -> str:
        cleaner = getattr(self.local, "cleaner", None)
        if cleaner is None:
            cleaner = self.local.cleaner = bleach.Cleaner(**self.options)
        return cleaner.clean(text)


_comment_cleaner = _PerThreadCleaner(
    tags=COMMENT_TAGS,
    attributes=COMMENT_ATTRIBUTES,
    protocols=PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], parse_email=False, skip_tags={"pre", "code"})],
)

#: Tags allowed in a short staff notice (the urgent notice banner): text, links and lists,
#: no headings (the banner has its own) and no tables.
SHORT_MARKDOWN_TAGS = frozenset({"p", "br", "a", "strong", "em", "b", "i", "ul", "ol", "li", "abbr"})

_short_markdown_cleaner = _PerThreadCleaner(
    tags=SHORT_MARKDOWN_TAGS,
    attributes=MARKDOWN_ATTRIBUTES,
    protocols=PROTOCOLS,
    strip=True,
    strip_comments=True,
)

_markdown_cleaner = _PerThreadCleaner(
    tags=MARKDOWN_TAGS,
    attributes=MARKDOWN_ATTRIBUTES,
    protocols=PROTOCOLS,
    strip=True,
    strip_comments=True,
)


#: Elements that go with everything inside them when staff Markdown holds raw HTML: their
#: content is code, styling, an embedded document or foreign markup, never text a reader
#: should see (``<script>alert(1)</script>`` must not leave ``alert(1)`` behind).
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "noembed",
    "noframes", "template", "textarea", "select", "title", "xmp", "plaintext", "svg", "math", "head",
})


class _DropUnsafeElements:
    """html5lib token filter: leaves out every element of :data:`DROPPED_WITH_CONTENT`
    together with all the tokens inside it (the walker's stream is balanced, so a depth
    count finds the end)."""

    def __init__(self, source):
        self.source = source

    def __iter__(self):
        depth = 0
        for token in self.source:
            kind, name = token["type"], (token.get("name") or "").lower()
            if depth:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth -= 1
                continue
            if name in DROPPED_WITH_CONTENT:
                if kind == "StartTag":
                    depth = 1
                continue
            yield token


class _UnsafeElementDropper:
    """Parses HTML as a browser would (no allowlist yet), drops the elements of
    :data:`DROPPED_WITH_CONTENT` with their content and serializes the rest, escaped.
    Its output then goes through the ordinary bleach ``Cleaner``, so what bleach
    guarantees still holds; this pass only takes away. One parser per thread (html5lib
    parsers keep state)."""

    def __init__(self):
        self.local = threading.local()

    def drop(self, html: str) -> str:
        if not html or "<" not in html:
            return html
        parser = getattr(self.local, "parser", None)
        if parser is None:
            parser = self.local.parser = html5lib_shim.BleachHTMLParser(
                tags=None, strip=False, consume_entities=True, namespaceHTMLElements=False)
        walker = html5lib_shim.getTreeWalker("etree")
        serializer = html5lib_shim.BleachHTMLSerializer(
            quote_attr_values="always", omit_optional_tags=False, escape_lt_in_attrs=True,
            resolve_entities=False, sanitize=False, alphabetical_attributes=False)
        return serializer.render(_DropUnsafeElements(walker(parser.parseFragment(html))))


_dropper = _UnsafeElementDropper()


def normalize_text(text: str) -> str:
    """Normalize user-typed plain text before it is stored.

    Line endings become ``\\n``, NUL characters (which PostgreSQL cannot store) are
    dropped, and leading and trailing white space is removed. Everything else is kept as
    typed.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


#: Unicode's default-ignorable code points (DerivedCoreProperties.txt, read from ICU's data):
#: characters that render as nothing — zero-width space, joiner and non-joiner, direction
#: marks, word joiner, byte order mark, soft hyphen, Hangul fillers, variation selectors,
#: tag characters … (UTS #39 §3.1 and RFC 8264 disallow them in identifiers).
DEFAULT_IGNORABLE = frozenset(icu.UnicodeSet("[:Default_Ignorable_Code_Point:]"))


def _is_bidi_control(ch: str) -> bool:
    return "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"


def strip_invisible(text: str) -> str:
    """``text`` without the invisible characters of :data:`DEFAULT_IGNORABLE`, except
    the bidirectional embedding, override and isolate controls (U+202A–U+202E,
    U+2066–U+2069): those are refused where they matter (see
    :func:`contains_bidi_controls`), not silently dropped."""
    return "".join(ch for ch in text if _is_bidi_control(ch) or ch not in DEFAULT_IGNORABLE)


def normalize_line(text: str) -> str:
    """Normalize a single-line field (a name, title, unit, theme name …) before it is stored.

    As :func:`normalize_text`, and also: invisible characters are dropped
    (:func:`strip_invisible`; a name with a zero-width space in it reads like one
    without) and every run of white space, line breaks included, becomes one space.
    """
    return " ".join(strip_invisible(normalize_text(text)).split())


def has_visible_text(text: str) -> bool:
    """True if ``text`` has at least one character that is not white space, a control or
    an invisible formatting character (zero-width space, direction marks …)."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Zs") for ch in text)


def without_bidi_controls(text: str) -> str:
    """``text`` without bidirectional embedding, override and isolate controls, for text no
    person can be asked to correct (an import); forms refuse them instead."""
    return "".join(ch for ch in text if not _is_bidi_control(ch))


def contains_bidi_controls(text: str) -> bool:
    """True if ``text`` holds Unicode bidirectional embedding, override or isolate controls
    (U+202A–U+202E, U+2066–U+2069), which can make a name read as another (Unicode TR #36)."""
    return any(_is_bidi_control(ch) for ch in text)


def comment_html(text: str) -> str:
    """Render a citizen's plain-text comment as safe HTML.

    Args:
        text: the raw comment text (already normalized).

    Returns:
        HTML using only :data:`COMMENT_TAGS`: ``<p>`` per paragraph (blank-line separated),
        ``<br>`` per line break, ``<a href rel>`` for http(s) URLs.
    """
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    html = "".join(
        "<p>" + str(escape(p.strip("\n"))).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
    return _comment_cleaner.clean(html)


def markdown_html(text: str) -> str:
    """Render staff-written Markdown as safe HTML (cleaned with :data:`MARKDOWN_TAGS`).

    Raw HTML in the Markdown that is not allowed leaves no debris: the elements of
    :data:`DROPPED_WITH_CONTENT` (script, style, iframe, object …) disappear with their
    content, other disallowed tags are stripped and their text kept."""
    rendered = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    # The page title is the only <h1>; a top-level Markdown heading becomes <h2>.
    rendered = re.sub(r"<(/?)h1>", r"<\1h2>", rendered)
    return _markdown_cleaner.clean(_dropper.drop(rendered))


def short_markdown_html(text: str) -> str:
    """Render a short staff-written Markdown text (an urgent notice) as safe HTML: cleaned
    with :data:`SHORT_MARKDOWN_TAGS`, so headings and tables are dropped to their text."""
    rendered = markdown_lib.markdown(text or "", extensions=["sane_lists"], output_format="html")
    return _short_markdown_cleaner.clean(_dropper.drop(rendered))


def clean_html(html: str) -> str:
    """Clean arbitrary HTML with bleach's defaults (escape disallowed tags).

    Kept for the regression corpus ``shared/data/bleach-vectors`` whose expectations are
    bleach's default ``clean`` output.
    """
    return bleach.clean(html)


def as_markup(html: str | None) -> Markup:
    """Mark stored, already sanitized HTML as safe for Jinja (never call on raw input)."""
    return Markup(html or "")


_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def headings_from(html: Markup | str, top: int) -> Markup:
    """Stored, sanitized HTML with its headings moved down so the highest is ``<h{top}>``
    (2–6), keeping their order: staff write "## Heading" in a summary that the page
    already puts under its own ``<h2>``. Headings never go below ``<h6>``. Our sanitized
    HTML has no attributes on headings, which is what the pattern relies on."""
    levels = [int(level) for _slash, level in _HEADING_TAG.findall(str(html))]
    shift = top - min(levels) if levels else 0
    if shift <= 0:
        return Markup(html)
    return Markup(_HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}>", str(html)))


_snippet_cleaner = _PerThreadCleaner(tags={"mark"}, attributes={}, protocols=PROTOCOLS, strip=True,
                                     strip_comments=True)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters other than
    tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF), for the
    XML-based exports (XLSX, DOCX). Citizens' text is stored as typed; this is applied
    where it leaves for those formats."""
    return _XML_ILLEGAL.sub("", "" if text is None else str(text))


def text_of_html(html: str | None) -> str:
    """The text of an HTML fragment made here (e.g. :func:`markdown_html` or stored minutes):
    every tag dropped, entities turned back into characters, for plain-text uses such as the
    search index (DESIGN §4: never index HTML)."""
    return html_module.unescape(bleach.clean(html or "", tags=set(), strip=True))


def clean_snippet(html: str) -> str:
    """A search snippet: escaped text with ``<mark>`` around matches, and nothing else."""
    return _snippet_cleaner.clean(html or "")
