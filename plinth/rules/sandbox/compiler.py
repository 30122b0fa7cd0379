"""Compiling rule sources once (cached by source) and checking the names they use."""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Iterable, Sequence
from types import CodeType
from typing import cast

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec

from plinth.rules.sandbox.budget import SANDBOX_FILENAME
from plinth.rules.sandbox.environment import KNOWN_NAMES
from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.limits import MAX_SOURCE
from plinth.rules.sandbox.policy import SandboxPolicy


@dataclasses.dataclass(frozen=True)
class CompiledRule:
    source: str
    mode: str  # "eval" (expressions) or "exec" (scripts)
    code: CodeType
    free_names: frozenset[str]  # names read but never bound by the rule itself


def compile_rule(source: str, mode: str = "eval") -> CompiledRule:
    """Compile (or take from the cache) a rule; SandboxError names the line of a problem."""
    if not isinstance(source, str):
        raise SandboxError("a rule must be text")
    return _compile(source, mode)


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CompiledRule:
    if len(source) > MAX_SOURCE:
        raise SandboxError(f"the rule is longer than {MAX_SOURCE:,} characters")
    if mode not in ("eval", "exec"):
        raise ValueError(f"unknown mode {mode!r}")
    try:
        tree = ast.parse(source, SANDBOX_FILENAME, mode)
    except SyntaxError as exc:
        raise SandboxError(exc.msg, exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SandboxError(f"cannot be parsed ({type(exc).__name__})") from None
    compile_function = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compile_function(source, SANDBOX_FILENAME, policy=SandboxPolicy)
    if result.errors:
        raise SandboxError(*_first_error(result.errors))
    code = cast(CodeType, result.code)  # set when there are no errors
    return CompiledRule(source, mode, code, frozenset(_free_names(tree)))


def _first_error(errors: Sequence[str]) -> tuple[str, int | None]:
    text = errors[0]
    if text.startswith("Line "):
        head, _, message = text.partition(": ")
        number = head.removeprefix("Line ").strip()
        if number.isdigit():
            return message, int(number)
    return text, None


def _free_names(tree: ast.AST) -> set[str]:
    loaded: dict[str, int] = {}
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.setdefault(node.id, node.lineno)
            else:
                bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef,)):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return {name for name in loaded if name not in bound}


def rule_problem(source: str, mode: str = "eval", names: Iterable[str] = ()) -> str | None:
    """What is wrong with a rule, for metadata checks: compile errors and unknown names.

    ``names`` are the names the rule's context provides besides the built-ins and helpers
    (the object's field names).
    """
    try:
        compiled = compile_rule(source, mode)
    except SandboxError as exc:
        return str(exc)
    known = KNOWN_NAMES | frozenset(names)
    unknown = sorted(compiled.free_names - known)
    if unknown:
        line = _line_of(source, mode, unknown[0])
        where = f"line {line}: " if line else ""
        return f"{where}unknown name {unknown[0]!r}"
    return None


def _line_of(source: str, mode: str, name: str) -> int | None:
    for node in ast.walk(ast.parse(source, SANDBOX_FILENAME, mode)):
        if isinstance(node, ast.Name) and node.id == name:
            return node.lineno
    return None
