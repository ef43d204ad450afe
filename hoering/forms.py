"""Shared form helpers."""

from __future__ import annotations

from hoering.sanitize import normalize_text


def strip_filter(value):
    """WTForms filter: normalize typed text (line endings, NUL, outer white space)."""
    return normalize_text(value) if isinstance(value, str) else value
