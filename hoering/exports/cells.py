"""Spreadsheet cells: the one function every CSV and XLSX writer passes a value through,
as the last step before the cell is written.

Spreadsheet programs read a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula, which can open links, read other cells or, through DDE, start programs (OWASP,
"CSV Injection"). They also drop or skip characters before that first one: control
characters the XML of an XLSX file cannot hold, white space, invisible format characters,
and they read full-width and other compatibility forms of the triggers as the triggers
(Unicode NFKC). So the text is first cleaned exactly as it will be written, and only then
checked, looking past everything that may vanish; a cell that could read as a formula gets
a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import unicodedata

from hoering.sanitize import xml_safe

#: The characters that start a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = frozenset("=+-@")
#: Minus signs NFKC leaves alone but spreadsheets may read as ``-`` (U+2212, to which
#: NFKC maps the superscript and subscript minus signs too).
MINUS_SIGNS = frozenset("\u2212")
#: Cells beginning with these are neutralized even when no trigger follows (OWASP).
LEADING_BREAKS = frozenset("\t\r\n")
#: The prefix that makes a spreadsheet read a cell as text.
NEUTRALIZER = "'"

#: Unicode categories a spreadsheet may drop or skip before the first visible character:
#: controls, format characters (zero-width space, byte order mark, direction marks),
#: surrogates, private use and unassigned code points, separators and combining marks.
_SKIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Mc", "Me"})


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula.

    True when ``text`` begins with a tab, CR or LF, or when its first character that is not
    white space, a control, format, separator or combining character is ``= + - @``, a
    compatibility form of one (NFKC: U+FF1D, U+FE66, U+FF0B, U+FE62, U+FF0D, U+FE63,
    U+FF20, U+FE6B, super- and subscript signs …) or a minus sign (U+2212). Other dashes
    (en dash, em dash, hyphen) are punctuation, not operators, and are left alone.
    """
    if text[:1] in LEADING_BREAKS:
        return True
    for char in text:
        if char.isspace() or unicodedata.category(char) in _SKIPPED_CATEGORIES:
            continue
        folded = unicodedata.normalize("NFKC", char)[:1]
        return folded in FORMULA_TRIGGERS or folded in MINUS_SIGNS
    return False


def spreadsheet_cell(value: object) -> object:
    """A value as a CSV or XLSX cell must hold it: the last step before it is written.

    Args:
        value: what the export has for the cell: ``None``, a number, or anything else,
            which is taken as text (``str(value)``).

    Returns:
        ``None`` and numbers (``int``, ``float``; ``bool`` is an ``int``) unchanged, so an
        XLSX file keeps them as numbers; text without the characters XML 1.0 cannot hold
        (:func:`hoering.sanitize.xml_safe`, applied to CSV too so both formats say the
        same), then with :data:`NEUTRALIZER` in front if it could read as a formula
        (:func:`reads_as_formula`). Neutralizing comes after the cleaning: a control
        character before ``=`` cannot hide the formula from the check and then vanish.
    """
    if value is None or isinstance(value, int | float):
        return value
    text = xml_safe(value)
    return NEUTRALIZER + text if reads_as_formula(text) else text
