"""Translatable labels: a string, or a map of locale to string."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "zh-CN")


def localize(label: str | Mapping[str, str] | None, locale: str = DEFAULT_LOCALE) -> str | None:
    """Pick the best text for ``locale`` from a label (exact, then language, then English)."""
    if label is None or isinstance(label, str):
        return label
    if locale in label:
        return label[locale]
    language = locale.split("-", 1)[0]
    for key, text in label.items():
        if key.split("-", 1)[0] == language:
            return text
    if DEFAULT_LOCALE in label:
        return label[DEFAULT_LOCALE]
    return next(iter(label.values()), None)
