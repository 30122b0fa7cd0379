"""A list page's query string as list-request arguments (the API's grammar)."""

from __future__ import annotations

from collections.abc import Iterable

PAGE_ONLY = frozenset({"export"})  # what the page reads itself; not a list argument
NOT_KEPT = PAGE_ONLY | {"cursor"}  # what a saved view leaves out


def list_args(pairs: Iterable[tuple[str, str]], skip: frozenset[str]) -> dict[str, list[str]]:
    """Arguments by name from query-string pairs: blanks and ``skip`` left out, and the
    option chips of a filter (one ``field__in`` box per option) joined into one value."""
    args: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in skip and value != "":
            args.setdefault(key, []).append(value)
    for key, values in args.items():
        if key.endswith("__in") and len(values) > 1:
            args[key] = [",".join(values)]
    return args
