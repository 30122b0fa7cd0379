"""Forms generated from a metadata kind's JSON Schema, and the document read back from them.

Each property gets the widget its schema calls for: a select for an enum, a checkbox for a
boolean, two inputs (English, 简体中文) for a label, a code box for an expression, a table
for a list of objects or a map, a fieldset for a nested object. What the schema cannot say
in a simple input (polymorphic actions, for instance) is a JSON box. Inputs are named by
path (``/targets/0/name``); problems found while reading come back keyed by the JSON
pointer of the value, the same keys the publisher uses, so both show on their input.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from werkzeug.datastructures import MultiDict

from plinth.json_input import TooDeep, check_tree
from plinth.metadata.problems import pointer as make_pointer

BLANK_ROWS = 2
LOCALES = ("en", "zh-CN")
CELL_KINDS = frozenset(
    {"text", "code", "select", "checkbox", "integer", "number", "label", "list", "scalar",
     "list_or_const", "any", "checks", "json", "duration"}
)  # fmt: skip
MISSING = object()
DEFAULT_TRUE = frozenset({"/active", "/match/group/required"})
"""Inputs the engine reads as true when their property is absent."""


@dataclasses.dataclass(frozen=True)
class Raw:
    """What was typed into an input that could not be read, shown again as typed (a
    document holding one has errors and is never published)."""

    text: str


Choices = Callable[[str], list[str] | None]
#: A JSON Schema node, or a document being edited.
Node = dict[str, Any]
#: Problems with what was typed, by JSON pointer.
Errors = dict[str, list[str]]


@dataclasses.dataclass
class Widget:
    """One input (or group of inputs) of a generated form."""

    kind: str
    name: str
    pointer: str
    key: str
    value: Any = None
    required: bool = False
    choices: list[str] = dataclasses.field(default_factory=list)
    help: str = ""
    long: bool = False
    const: Any = None
    default: Any = None
    children: list[Widget] = dataclasses.field(default_factory=list)
    columns: list[Widget] = dataclasses.field(default_factory=list)
    rows: list[Row] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        """The value as the text of its input."""
        return _as_text(self.kind, self.value, self.const)

    @property
    def locale_values(self) -> dict[str, str]:
        value = self.value
        if isinstance(value, str):
            return {"en": value}
        return {k: v for k, v in (value or {}).items() if k in LOCALES}

    @property
    def other_locales(self) -> str:
        value = self.value if isinstance(self.value, dict) else {}
        others = {k: v for k, v in value.items() if k not in LOCALES}
        return json.dumps(others, ensure_ascii=False) if others else ""


@dataclasses.dataclass
class Row:
    name: str
    pointer: str
    key: str
    cells: list[Widget]
    blank: bool = False


class SchemaForm:
    """The form of one schema (a kind's, or a part of it such as a field type's)."""

    def __init__(
        self, root: Node, node: Node | None = None, choices: Choices | None = None
    ) -> None:
        self.root = root
        self.node = node if node is not None else root
        self.choices = choices or (lambda key: None)

    # -- schema -----------------------------------------------------------------------------

    def resolve(self, node: Node) -> tuple[Node, str | None]:
        """The node with its ``$ref`` merged in, and the name of the definition it uses."""
        ref_name = None
        while isinstance(node, dict) and "$ref" in node:
            ref_name = node["$ref"].rsplit("/", 1)[-1]
            target = self.root.get("$defs", {}).get(ref_name, {})
            own = {k: v for k, v in node.items() if k != "$ref"}
            merged = {**target, **own}
            if "properties" in target and "properties" in own:
                merged["properties"] = {**target["properties"], **own["properties"]}
            if "required" in target and "required" in own:
                merged["required"] = sorted(set(target["required"]) | set(own["required"]))
            node = merged
        return node, ref_name

    def classify(self, node: Node, key: str) -> str:
        """The widget a schema node calls for."""
        node, ref = self.resolve(node)
        if ref in ("label", "text"):
            return "label"
        if ref == "expression":
            return "code"
        if ref == "names":
            return "list"
        if not node:
            return "any"
        if "enum" in node:
            return "select"
        if "const" in node:
            return "checkbox" if node["const"] is True else "text"
        if "oneOf" in node:
            return self._one_of_kind(node["oneOf"])
        kind = node.get("type")
        if isinstance(kind, list):
            return "scalar"
        if kind == "boolean":
            return "checkbox"
        if kind in ("integer", "number"):
            return str(kind)
        if kind == "string":
            return "text"
        if kind == "array":
            return self._array_kind(node)
        if kind == "object":
            if node.get("properties") and not _polymorphic(node):
                return "fieldset"
            if isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
                return "map"
        return "json"

    def _one_of_kind(self, options: list[Node]) -> str:
        consts = [o for o in options if "const" in o]
        lists = [o for o in options if o.get("type") == "array"]
        return "list_or_const" if consts and lists and len(options) == 2 else "json"

    def _array_kind(self, node: Node) -> str:
        if "prefixItems" in node:
            return "json"
        items, ref = self.resolve(node.get("items", {}))
        if "enum" in items:
            return "checks"
        if items.get("type") == "string" or ref == "name":
            return "list"
        if items.get("type") == "object" and items.get("properties") and not _polymorphic(items):
            return "table"
        return "json"

    def properties(self, node: Node) -> tuple[dict[str, Node], set[str]]:
        node, _ = self.resolve(node)
        return node.get("properties", {}), set(node.get("required", ()))

    # -- building widgets -------------------------------------------------------------------

    def widgets(self, document: Node | None, prefix: str = "") -> list[Widget]:
        """The widgets of every property of the form's node, filled from ``document``."""
        props, required = self.properties(self.node)
        document = document or {}
        return [
            self.widget(sub, key, f"{prefix}/{key}", document.get(key), key in required)
            for key, sub in props.items()
        ]

    def widget(self, node: Node, key: str, name: str, value: Any, required: bool) -> Widget:
        kind = self.classify(node, key)
        resolved, ref = self.resolve(node)
        widget = Widget(
            kind, name, name, key, value, required, help=resolved.get("description", "")
        )
        widget.default = True if name in DEFAULT_TRUE else None
        if kind == "label":
            widget.long = ref == "text"
        elif kind == "select":
            widget.choices = [str(v) for v in resolved["enum"]]
        elif kind == "checks":
            widget.choices = [str(v) for v in self.resolve(resolved["items"])[0]["enum"]]
        elif kind == "text":
            widget.choices = self.choices(key) or []
            widget.long = resolved.get("maxLength", 0) > 300
        elif kind == "list_or_const":
            widget.const = next(o["const"] for o in resolved["oneOf"] if "const" in o)
        elif kind == "fieldset":
            props, needed = self.properties(resolved)
            value = value if isinstance(value, dict) else {}
            widget.children = [
                self.widget(sub, k, f"{name}/{k}", value.get(k), k in needed)
                for k, sub in props.items()
            ]
        elif kind in ("table", "map"):
            self._fill_rows(widget, resolved, value)
        return widget

    def _row_schema(self, widget: Widget, node: Node) -> Node:
        item: Node = node["items"] if widget.kind == "table" else node["additionalProperties"]
        return item

    def _fill_rows(self, widget: Widget, node: Node, value: Any) -> None:
        item = self._row_schema(widget, node)
        if widget.kind == "table":
            entries = [(str(i), v) for i, v in enumerate(value if isinstance(value, list) else [])]
        else:
            entries = list((value if isinstance(value, dict) else {}).items())
        widget.columns = self._cells(item, "", None)
        total = len(entries) + BLANK_ROWS
        for index in range(total):
            blank = index >= len(entries)
            key, item_value = entries[index] if not blank else ("", None)
            row_name = f"{widget.name}/{index}"
            row_pointer = f"{widget.pointer}/{_escape(key)}" if not blank else row_name
            cells = self._cells(item, row_name, item_value)
            for cell in cells:
                cell.pointer = row_pointer + cell.pointer[len(row_name) :]
            widget.rows.append(Row(row_name, row_pointer, key, cells, blank))

    def _cells(self, item: Node, row_name: str, value: Any) -> list[Widget]:
        item_node, _ = self.resolve(item)
        if item_node.get("type") == "object" and item_node.get("properties"):
            props, needed = self.properties(item_node)
            value = value if isinstance(value, dict) else {}
            cells = []
            for key, sub in props.items():
                cell = self.widget(sub, key, f"{row_name}/{key}", value.get(key), key in needed)
                if cell.kind not in CELL_KINDS:
                    cell.kind = "json"
                cells.append(cell)
            return cells
        cell = self.widget(item, "value", f"{row_name}/=", value, True)
        cell.pointer = row_name
        return [cell if cell.kind in CELL_KINDS else dataclasses.replace(cell, kind="json")]

    # -- reading the form back --------------------------------------------------------------

    def read(self, form: MultiDict[str, str], prefix: str = "") -> tuple[Node, Errors]:
        """The document the form describes, and problems with what was typed, by pointer."""
        errors: Errors = {}
        props, _ = self.properties(self.node)
        document: Node = {}
        for key, sub in props.items():
            value = self.read_value(sub, key, f"{prefix}/{key}", form, errors)
            if value is not MISSING:
                document[key] = value
        return document, errors

    def read_value(
        self, node: Node, key: str, name: str, form: MultiDict[str, str], errors: Errors
    ) -> Any:
        kind = self.classify(node, key)
        resolved, _ = self.resolve(node)
        if kind == "fieldset":
            props, _ = self.properties(resolved)
            result: Node = {}
            for sub_key, sub in props.items():
                value = self.read_value(sub, sub_key, f"{name}/{sub_key}", form, errors)
                if value is not MISSING:
                    result[sub_key] = value
            return result or MISSING
        if kind in ("table", "map"):
            return self._read_rows(kind, resolved, name, form, errors)
        if kind == "label":
            return _read_label(name, form)
        if kind == "checkbox":
            if f"{name}#present" not in form:
                return MISSING
            checked = form.get(name) == "on"
            was_set = form.get(f"{name}#was") == "set"
            if was_set or checked != (name in DEFAULT_TRUE):
                return checked
            return MISSING  # left as the engine's default: the document stays as it was
        if kind == "checks":
            values = form.getlist(name)
            return values or MISSING
        return _read_text(kind, resolved, name, form.get(name, ""), errors)

    def _read_rows(
        self, kind: str, node: Node, name: str, form: MultiDict[str, str], errors: Errors
    ) -> Any:
        item = node["items"] if kind == "table" else node["additionalProperties"]
        count = _int(form.get(f"{name}#rows")) or 0
        table: list[Any] = []
        mapping: dict[str, Any] = {}
        for index in range(min(count, 1000)):
            row = f"{name}/{index}"
            if form.get(f"{row}#remove") == "on":
                continue
            value = self._read_row(item, row, form, errors)
            if kind == "table":
                if value is not MISSING:
                    table.append(value)
                continue
            key = (form.get(f"{row}#key") or "").strip()
            if value is MISSING and not key:
                continue
            if not key:
                errors.setdefault(row, []).append("needs a key")
            elif key in mapping:
                errors.setdefault(row, []).append(f"{key!r} appears twice")
            else:
                mapping[key] = {} if value is MISSING else value
        if kind == "table":
            return table or MISSING
        return mapping or MISSING

    def _read_row(self, item: Node, row: str, form: MultiDict[str, str], errors: Errors) -> Any:
        item_node, _ = self.resolve(item)
        if item_node.get("type") == "object" and item_node.get("properties"):
            props, _ = self.properties(item_node)
            result: Node = {}
            for key, sub in props.items():
                cell_name = f"{row}/{key}"
                kind = self.classify(sub, key)
                if kind not in CELL_KINDS:
                    value = _read_text("json", {}, cell_name, form.get(cell_name, ""), errors)
                else:
                    value = self.read_value(sub, key, cell_name, form, errors)
                if value is not MISSING:
                    result[key] = value
            return result or MISSING
        kind = self.classify(item, "value")
        resolved, _ = self.resolve(item)
        if kind == "label":
            return _read_label(f"{row}/=", form)
        raw = form.get(f"{row}/=", "")
        return _read_text(kind if kind in CELL_KINDS else "json", resolved, row, raw, errors)


def _polymorphic(node: Node) -> bool:
    return any(k in node for k in ("oneOf", "anyOf", "allOf", "if"))


def _escape(key: str) -> str:
    return make_pointer(key)[1:]


def _int(text: str | None) -> int | None:
    try:
        return int(text or "")
    except ValueError:
        return None


def _as_text(kind: str, value: Any, const: Any = None) -> str:
    if value is None:
        return ""
    if isinstance(value, Raw):
        return value.text
    if kind in ("list", "list_or_const"):
        if value == const:
            return str(const)
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind in ("json", "any") and not (kind == "any" and isinstance(value, str)):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def _read_label(name: str, form: MultiDict[str, str]) -> Any:
    texts = {loc: (form.get(f"{name}#{loc}") or "").strip() for loc in LOCALES}
    result = _other_locales(form.get(f"{name}#others") or "")
    result.update({k: v for k, v in texts.items() if v})
    if not result:
        return MISSING
    if set(result) == {"en"}:
        return result["en"]
    return result


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON value")


def _other_locales(text: str) -> dict[str, str]:
    """A label's languages the form does not show (kept as they were; junk is dropped)."""
    try:
        value = json.loads(text) if text.startswith("{") else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _read_text(kind: str, node: Node, name: str, raw: str, errors: Errors) -> Any:
    text = raw.strip() if kind not in ("code", "json") else raw.strip("\n\r ")
    if not text:
        return MISSING
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            errors.setdefault(name, []).append("must be a whole number")
            return Raw(raw)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            errors.setdefault(name, []).append("must be a number")
            return Raw(raw)
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "scalar":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "list":
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    if kind == "list_or_const":
        const = next((o["const"] for o in node.get("oneOf", ()) if "const" in o), None)
        if text == const:
            return const
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in ("json", "any"):
        try:
            value = json.loads(text, parse_constant=_not_json)
            check_tree(value)  # nesting, NUL characters, lone surrogates
            return value
        except json.JSONDecodeError as exc:
            problem = f"line {exc.lineno}: not valid JSON ({exc.msg})"
        except RecursionError:
            problem = TooDeep().message
        except ValueError as exc:  # NaN/Infinity (_not_json), JsonInputError
            problem = getattr(exc, "message", str(exc))
        if kind == "any":
            return text
        errors.setdefault(name, []).append(problem)
        return Raw(raw)
    return text


def editor_widgets(
    form: SchemaForm,
    document: Node,
    errors: Errors,
    hidden: Iterable[str] = (),
    editing: bool = False,
) -> tuple[list[Widget], list[tuple[str, str]]]:
    """The widgets of an edit page (without ``hidden`` keys, and without the name of a
    document that already has one), and the problems no widget holds."""
    hide = set(hidden) | ({"name"} if editing else set())
    widgets = [w for w in form.widgets(document) if w.key not in hide]
    return widgets, attach_errors(widgets, errors)


def attach_errors(widgets: list[Widget], errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Put each problem on the widget whose pointer holds it; returns the problems no input
    holds (shown above the form). A problem inside a JSON box names where in it."""
    placed: set[str] = set()

    def visit(widget: Widget) -> None:
        for child in widget.children:
            visit(child)
        for row in widget.rows:
            for cell in row.cells:
                visit(cell)
            for key in {row.pointer, row.name}:
                for message in errors.get(key, ()):
                    where = row.key or str(int(row.name.rsplit("/", 1)[-1]) + 1)
                    widget.errors.append(f"{where}: {message}")
            placed.update((row.pointer, row.name))
        for pointer_, messages in errors.items():
            if pointer_ in placed:
                continue
            if pointer_ in (widget.pointer, widget.name):
                widget.errors.extend(messages)
                placed.add(pointer_)
            elif widget.kind == "json" and pointer_.startswith(widget.pointer + "/"):
                inner = pointer_[len(widget.pointer) :]
                line = json_line(widget.value, inner)
                where = f"{inner} (line {line})" if line else inner
                widget.errors.extend(f"{where}: {m}" for m in messages)
                placed.add(pointer_)

    for widget in widgets:
        visit(widget)
    return [(p, m) for p, messages in errors.items() if p not in placed for m in messages]


def json_line(value: Any, inner: str) -> int | None:
    """The line of the pretty-printed ``value`` where the value at pointer ``inner`` starts."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in inner.split("/")[1:]]
    lines = json.dumps(value, indent=2, ensure_ascii=False).split("\n")
    node, line, depth = value, 0, 1
    for part in parts:
        if isinstance(node, dict) and part in node:
            wanted = json.dumps(part, ensure_ascii=False) + ":"
            prefix = "  " * depth + wanted
            line = next((i for i in range(line, len(lines)) if lines[i].startswith(prefix)), line)
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            index = int(part)
            line = _nth_item_line(lines, line, depth, index)
            node = node[index]
        else:
            break
        depth += 1
    return line + 1 if parts else None


def _nth_item_line(lines: list[str], start: int, depth: int, index: int) -> int:
    indent = "  " * depth
    seen = -1
    for number in range(start + 1, len(lines)):
        text = lines[number]
        if text.startswith(indent) and not text.startswith(indent + " "):
            seen += 1
            if seen == index:
                return number
    return start
