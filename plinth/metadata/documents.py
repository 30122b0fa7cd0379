"""Reading metadata documents from JSON or YAML files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from plinth.errors import ValidationError

SUFFIXES = (".yaml", ".yml", ".json")


def read_document(path: Path) -> Any:
    """Parse one JSON or YAML file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError.single(str(path), f"cannot read: {exc}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ValidationError.single(
            str(path), f"invalid JSON at line {exc.lineno}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValidationError.single(str(path), f"invalid YAML{where}") from None


def write_document(path: Path, document: Any) -> None:
    """Write a document as YAML (readable diffs in version control) or JSON by suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")
