"""Expression and script sources: syntax checks made when metadata is saved."""

from __future__ import annotations

import ast


def syntax_error(source: str, mode: str = "eval") -> str | None:
    """A one-line description of the first syntax error in ``source``, or None when it parses.

    ``mode`` is ``eval`` for expressions (formulas, conditions) and ``exec`` for scripts.
    """
    try:
        ast.parse(source, mode=mode)
    except SyntaxError as exc:
        line = f"line {exc.lineno}: " if exc.lineno else ""
        return f"{line}{exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"cannot be parsed: {type(exc).__name__}"
    return None
