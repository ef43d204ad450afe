"""Names that cannot pass for someone else's.

A display name is compared with others, and with the reserved words, in a *folded* form:
invisible characters dropped and white space collapsed (:func:`hoering.sanitize.normalize_line`),
compatibility forms unified (NFKC: "Ｍ" is "M"), then the confusable skeleton of Unicode
Technical Standard #39 §4 ("Confusable Detection"), computed by ICU's ``SpoofChecker``
with the confusables data of the Unicode version ICU ships. Case is folded between two
skeleton passes, so that "Μoderator" (Greek capital Mu), "M0derator" (digit zero) and
"moderator" all fold to the same text. Two names with the same folded form look the same
to a reader.

Norwegian letters stay apart from their look-alikes without the mark: "Åse" is not "Ase",
"Ødegård" is not "Odegard" (the skeleton keeps the ring and the stroke). Unicode's data
counts "æ" as "ae", so "Kjær" and "Kjaer" are the same name here.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable

import icu

from hoering.sanitize import normalize_line

#: A reserved word of at least this many letters is also refused inside a longer word.
COMPOUND_MIN_LETTERS = 5

_WORDS = re.compile(r"[^\W\d_]+|\d+")
_local = threading.local()


def _skeleton(text: str) -> str:
    # A SpoofChecker per thread: ICU objects are not meant to be shared between threads
    # that use them at once.
    checker = getattr(_local, "checker", None)
    if checker is None:
        checker = _local.checker = icu.SpoofChecker()
    return checker.getSkeleton(0, text)


#: Canonical combining classes of marks drawn above a letter (Unicode's UAX #44,
#: ``Canonical_Combining_Class``: 214 attached above, 216 attached above right, 230 above,
#: 232 above right, 233/234 double). Norwegian and Sámi letters (å, á, č, š, ž …) use only
#: these; marks below and overlays (a dot or line under a letter, 220 and 202) are easily
#: missed by a reader, so they do not tell two names apart.
MARKS_ABOVE = frozenset({214, 216, 230, 232, 233, 234})


def _without_marks(text: str, keep_above: bool) -> str:
    """``text`` without its combining marks (all of them, or all but those drawn above)."""
    kept = [c for c in unicodedata.normalize("NFD", text)
            if not unicodedata.combining(c) and unicodedata.category(c) not in ("Mn", "Me")
            or keep_above and unicodedata.combining(c) in MARKS_ABOVE]
    return unicodedata.normalize("NFC", "".join(kept))


def fold_name(name: str, strict: bool = False) -> str:
    """The form in which names are compared: two names with the same folded form look
    the same (see the module docstring for the steps and their sources). Combining marks
    drawn below a letter or through it are left out first ("Hansẹn" is "Hansen");
    ``strict`` leaves out every mark ("Mödérator" is "Moderator"), for reserved words.

    Args:
        name: a display name (or a reserved word) as typed.
        strict: leave out the marks above letters too.

    Returns:
        The folded text; empty when ``name`` has nothing visible.
    """
    text = unicodedata.normalize("NFKC", normalize_line(name or ""))
    text = _without_marks(text, keep_above=not strict)
    return _skeleton(_skeleton(text).casefold())


def name_skeleton(name: str | None) -> str | None:
    """The key stored in ``user.name_skeleton``: the SHA-256 hex digest of
    :func:`fold_name` (a digest, because a folded name can be many times longer than the
    name and the column is indexed), or ``None`` for an empty name."""
    folded = fold_name(name or "")
    if not folded:
        return None
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _words(text: str) -> list[str]:
    """The words of a folded text: runs of letters, and runs of digits. Marks the skeleton
    puts in ("ø" becomes "o" and a combining stroke) are left out, so they split no word."""
    return _WORDS.findall(_without_marks(text, keep_above=False))


def reserved_word_in(name: str, reserved: Iterable[str]) -> str | None:
    """The first reserved word or phrase that ``name`` contains, compared folded
    (:func:`fold_name`), or ``None``.

    A phrase matches as a run of whole words ("Fjordvik kommune" in "Fjordvik kommune
    Plan"); a phrase of at least :data:`COMPOUND_MIN_LETTERS` letters also matches written
    as one word or at the start or end of a longer word ("FjordvikKommune",
    "Kommunestyret"). So "M0derator", "Ｍoderator" and "mode\\u200brator" are found, while
    "Badminton" (which holds "admin") is not.

    Args:
        name: the display name as typed.
        reserved: reserved words and phrases as configured (any case).
    """
    words = _words(fold_name(name, strict=True))
    for phrase in reserved:
        target = _words(fold_name(phrase, strict=True))
        if not target:
            continue
        size = len(target)
        if any(words[i:i + size] == target for i in range(len(words) - size + 1)):
            return phrase
        joined = "".join(target)
        if len("".join(_words(phrase.casefold()))) >= COMPOUND_MIN_LETTERS and any(
                word.startswith(joined) or word.endswith(joined) for word in words):
            return phrase
    return None
