"""A trial run of a rule when its metadata is saved: does it stop at a limit?

Compiling a rule finds bad code; running it once finds code that cannot finish. The trial
sets every name the rule's context provides (the object's fields, ``record``) to None,
stubs the data helpers (``lookup`` -> None, ``query`` -> [], ``count`` -> 0, ``setting`` ->
None; no database) and runs with a short deadline. Errors that blank values cause
(``None + 1``) are expected and ignored; running out of steps or time, or building too
much, is a problem: the rule would do the same on every record whose fields are blank.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from plinth.rules.sandbox.compiler import compile_rule
from plinth.rules.sandbox.environment import time_helpers
from plinth.rules.sandbox.errors import SandboxError, SandboxRuntimeError
from plinth.rules.sandbox.limits import MAX_TRIAL_SECONDS
from plinth.rules.sandbox.runner import evaluate, execute
from plinth.rules.sandbox.views import RecordView, UserView, WritableRecord

_USER = types.SimpleNamespace(
    id=None, label="trial", roles=(), teams=(), locale="en", time_zone="UTC"
)


def _clock() -> dt.datetime:
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


_DATA: dict[str, Callable[..., Any]] = {
    "lookup": lambda *args, **kwargs: None,
    "query": lambda *args, **kwargs: [],
    "count": lambda *args, **kwargs: 0,
    "setting": lambda *args, **kwargs: None,
}


def trial_scope(mode: str, names: Iterable[str]) -> dict[str, Any]:
    """What the rule sees in its trial: every name None, helpers stubbed."""
    fields = dict.fromkeys(names)
    scope: dict[str, Any] = {**time_helpers(ZoneInfo("UTC"), _clock), **_DATA}
    scope["user"] = UserView(_USER)
    scope.update(fields)
    scope["record"] = WritableRecord(fields) if mode == "exec" else RecordView(fields)
    scope["old"] = None
    return scope


def trial_problem(source: str, mode: str = "eval", names: Iterable[str] = ()) -> str | None:
    """The limit a rule hits when run with blank fields, or None (also when it does not
    compile: ``rule_problem`` reports that)."""
    try:
        rule = compile_rule(source, mode)
    except SandboxError:
        return None
    run = evaluate if mode == "eval" else execute
    try:
        run(rule, trial_scope(mode, names), seconds=MAX_TRIAL_SECONDS)
    except SandboxRuntimeError as exc:
        return str(exc) if exc.limit else None
    return None
