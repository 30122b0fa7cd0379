"""Translatable labels: a string, or a map of locale to string."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

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


@dataclasses.dataclass(frozen=True)
class Named:
    """Something a message names: by its API name in the message's English text, by its
    label where a page says the message in the user's language."""

    name: str
    label: str | Mapping[str, str] | None = None

    def shown(self, locale: str) -> str:
        return localize(self.label, locale) or self.name


class Message(str):
    """A message's English text that keeps its template and arguments, so a page can say it
    in the user's language (the API answers the text itself; see ``admin_ui/messages.py``).

    ``Message("must be at least {low}", low=5)`` reads "must be at least 5". An argument is
    shown as it is, or: a label (``{"en": .., "zh-CN": ..}``) in ``locale``, a ``Named`` by
    its name, a list or tuple of them joined with ", ".
    """

    template: str
    args: dict[str, Any]

    def __new__(cls, template: str, locale: str = DEFAULT_LOCALE, **args: Any) -> Message:
        text = (
            template.format_map({k: plain(v, locale) for k, v in args.items()})
            if args
            else template
        )
        message = super().__new__(cls, text)
        message.template = template
        message.args = args
        return message


def plain(value: Any, locale: str = DEFAULT_LOCALE) -> str:
    """A message argument as the English text of a message shows it."""
    if isinstance(value, Named):
        return value.name
    if isinstance(value, Mapping):
        return localize(value, locale) or ""
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v, locale) for v in value)
    return str(value)
