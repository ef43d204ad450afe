"""Topics and areas a consultation is filed under, from configuration
(``CONSULTATION_TOPICS`` and ``CONSULTATION_AREAS``, docs/CONFIGURATION.md).

A municipality's topics and districts change seldom and are the same for every case
officer, so they are settings, not tables: the stored value is the key, the label is
looked up in the reader's language when shown.
"""

from __future__ import annotations

from flask import current_app

from hoering.i18n import current_language_code

TOPICS = "CONSULTATION_TOPICS"
AREAS = "CONSULTATION_AREAS"


def _label(labels, language: str) -> str:
    if isinstance(labels, str):
        return labels
    return labels.get(language) or labels.get("nb") or next(iter(labels.values()), "")


def choices(setting: str) -> list[tuple[str, str]]:
    """``[(key, label in the current language)]`` of ``setting`` (:data:`TOPICS` or
    :data:`AREAS`), in the configured order."""
    language = current_language_code()
    return [(key, _label(labels, language)) for key, labels in current_app.config[setting].items()]


def label(setting: str, key: str) -> str:
    """The label of ``key`` in the current language; ``""`` for no key, the key itself
    for one no longer configured (so an old consultation still shows something)."""
    if not key:
        return ""
    labels = current_app.config[setting].get(key)
    return key if labels is None else _label(labels, current_language_code())


def topic_label(key: str) -> str:
    """The label of topic ``key`` (see :func:`label`)."""
    return label(TOPICS, key)


def area_label(key: str) -> str:
    """The label of area ``key`` (see :func:`label`)."""
    return label(AREAS, key)


def is_known(setting: str, key: str) -> bool:
    """Whether ``key`` is empty (none chosen) or configured in ``setting``."""
    return not key or key in current_app.config[setting]
