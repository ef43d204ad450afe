"""Staff-written Markdown, already rendered and cleaned to HTML, as blocks of styled text
for the DOCX and PDF reports: headings, paragraphs, bullet and numbered list items and
quotes, each a list of runs that are bold, italic or code.

Only our own sanitized HTML comes here (the tags of :data:`hoering.sanitize.MARKDOWN_TAGS`);
unknown tags are read for their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Run:
    """A stretch of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass
class Block:
    """One paragraph-like piece of the text.

    Attributes:
        kind: ``"paragraph"``, ``"heading"``, ``"bullet"``, ``"number"`` or ``"quote"``.
        runs: the text, in styled runs; ``"\\n"`` inside a run is a line break.
        level: the heading level (2–6), or the list depth (1 for a top-level item).
        number: the item's number in a numbered list.
    """

    kind: str
    runs: list[Run] = field(default_factory=list)
    level: int = 1
    number: int = 0

    @property
    def text(self) -> str:
        """The block's plain text."""
        return "".join(run.text for run in self.runs)


_BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "li", "pre", "tr"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Block | None = None
        self.bold = self.italic = self.code = 0
        self.lists: list[list] = []  # [kind, next number] per open list
        self.quote = 0
        self.cells = 0

    def _start_block(self, kind: str, level: int = 1, number: int = 0) -> None:
        self._end_block()
        self.current = Block(kind, level=level, number=number)

    def _end_block(self) -> None:
        if self.current is not None:
            runs = [run for run in self.current.runs if run.text]
            if runs:
                runs[0].text = runs[0].text.lstrip()
                runs[-1].text = runs[-1].text.rstrip()
                self.current.runs = [run for run in runs if run.text]
                if self.current.runs:
                    self.blocks.append(self.current)
        self.current = None

    def handle_starttag(self, tag, attrs):
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "code":
            self.code += 1
        elif tag in ("ul", "ol"):
            self._end_block()
            self.lists.append([tag, 1])
        elif tag == "li":
            kind, number = self.lists[-1] if self.lists else ("ul", 1)
            if self.lists:
                self.lists[-1][1] += 1
            self._start_block("number" if kind == "ol" else "bullet", level=max(1, len(self.lists)), number=number)
        elif tag == "blockquote":
            self._end_block()
            self.quote += 1
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            self._start_block("heading", level=int(tag[1]))
        elif tag in ("p", "pre", "tr"):
            if self.current is not None and self.current.kind in ("bullet", "number") and tag == "p":
                return  # a loose list item's paragraph stays in the item
            self._start_block("quote" if self.quote else "paragraph")
            self.cells = 0
        elif tag in ("td", "th"):
            if self.current is None:
                self._start_block("paragraph")
            if self.cells:
                self._add(" | ")
            self.cells += 1
        elif tag == "br":
            self._add("\n")

    def handle_endtag(self, tag):
        if tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "code":
            self.code = max(0, self.code - 1)
        elif tag in ("ul", "ol"):
            self._end_block()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self._end_block()
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCK_TAGS:
            if tag == "p" and self.current is not None and self.current.kind in ("bullet", "number"):
                self._add(" ")
                return
            self._end_block()

    def handle_data(self, data):
        if self.current is None:
            if not data.strip():
                return
            self._start_block("quote" if self.quote else "paragraph")
        self._add(data if self.code else data.replace("\n", " "))

    def _add(self, text: str) -> None:
        if self.current is None:
            self._start_block("paragraph")
        style = (bool(self.bold), bool(self.italic), bool(self.code))
        runs = self.current.runs
        if runs and (runs[-1].bold, runs[-1].italic, runs[-1].code) == style:
            runs[-1].text += text
        else:
            runs.append(Run(text, *style))


def html_blocks(html: str) -> list[Block]:
    """Read sanitized Markdown HTML into :class:`Block` objects, in document order.

    Args:
        html: HTML as :func:`hoering.sanitize.markdown_html` makes it (``""`` gives ``[]``).

    Returns:
        The blocks; white space inside a block is collapsed to single spaces except in code
        and at line breaks (``<br>``).
    """
    reader = _Reader()
    reader.feed(html or "")
    reader.close()
    reader._end_block()  # noqa: SLF001 - the reader's own state
    for block in reader.blocks:
        for run in block.runs:
            if not run.code:
                run.text = _LINE_BREAK_SPACE.sub("\n", "\n".join(_collapse(line) for line in run.text.split("\n")))
    return reader.blocks


_LINE_BREAK_SPACE = re.compile(r" *\n *")


def _collapse(text: str) -> str:
    """Collapse runs of white space to one space, keeping a leading or trailing one (the
    space between two runs of different styles)."""
    if not text.strip():
        return " " if text else ""
    return (" " if text[0].isspace() else "") + " ".join(text.split()) + (" " if text[-1].isspace() else "")
