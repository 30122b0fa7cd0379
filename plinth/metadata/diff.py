"""Structural diff of two JSON documents as RFC 6902-style operations (for revisions)."""

from __future__ import annotations

from typing import Any

from plinth.metadata.problems import pointer


def json_diff(before: Any, after: Any, path: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Operations turning ``before`` into ``after``: add, remove and replace, with pointers.

    Lists of named items (fields, states, ...) are matched by ``name`` so that reordering or
    inserting one field does not show as every later field changing.
    """
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        ops: list[dict[str, Any]] = []
        for key in before:
            if key not in after:
                ops.append({"op": "remove", "path": pointer(*path, key), "old": before[key]})
        for key, value in after.items():
            if key not in before:
                ops.append({"op": "add", "path": pointer(*path, key), "value": value})
            else:
                ops.extend(json_diff(before[key], value, (*path, key)))
        return ops
    if isinstance(before, list) and isinstance(after, list):
        if _named(before) and _named(after):
            return _diff_named_lists(before, after, path)
        if len(before) == len(after):
            ops = []
            for index, (old, new) in enumerate(zip(before, after, strict=True)):
                ops.extend(json_diff(old, new, (*path, index)))
            return ops
    return [{"op": "replace", "path": pointer(*path), "old": before, "value": after}]


def _named(items: list[Any]) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return (
        len(names) == len(items)
        and all(isinstance(n, str) for n in names)
        and len(set(names)) == len(names)
    )


def _diff_named_lists(
    before: list[Any], after: list[Any], path: tuple[str | int, ...]
) -> list[dict[str, Any]]:
    old = {item["name"]: (index, item) for index, item in enumerate(before)}
    new = {item["name"]: (index, item) for index, item in enumerate(after)}
    ops: list[dict[str, Any]] = []
    for name, (index, item) in old.items():
        if name not in new:
            ops.append({"op": "remove", "path": pointer(*path, index), "old": item})
    for name, (index, item) in new.items():
        if name not in old:
            ops.append({"op": "add", "path": pointer(*path, index), "value": item})
        else:
            ops.extend(json_diff(old[name][1], item, (*path, index)))
    if [i["name"] for i in before if i["name"] in new] != [
        i["name"] for i in after if i["name"] in old
    ]:
        ops.append({"op": "reorder", "path": pointer(*path), "order": [i["name"] for i in after]})
    return ops
