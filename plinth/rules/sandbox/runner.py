"""Running compiled rules with guards and budgets; failures become SandboxRuntimeError."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from RestrictedPython import PrintCollector

from plinth.rules.sandbox.budget import SANDBOX_FILENAME, Budget
from plinth.rules.sandbox.compiler import CompiledRule, compile_rule
from plinth.rules.sandbox.environment import SAFE_BUILTINS, STATIC_HELPERS
from plinth.rules.sandbox.errors import SandboxError, SandboxLimit, SandboxRuntimeError
from plinth.rules.sandbox.guards import (
    ITERATION_GUARDS,
    Meter,
    make_binop,
    make_getattr,
    make_inplacevar,
)
from plinth.rules.sandbox.limits import MAX_ALLOCATED

log = logging.getLogger(__name__)


_BASE = {
    "__builtins__": SAFE_BUILTINS,
    "_print_": PrintCollector,
    **ITERATION_GUARDS,
    **STATIC_HELPERS,
}


def _globals(meter: Meter, budget: Budget, scope: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh namespace per run: the shared base, the run's own guards, then the scope."""
    namespace = _BASE.copy()
    namespace["_tick_"] = budget.tick
    namespace["_getattr_"] = make_getattr(meter)
    namespace["_binop_"] = make_binop(meter)
    namespace["_inplacevar_"] = make_inplacevar(meter)
    namespace.update(scope)
    return namespace


def _line(traceback) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == SANDBOX_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _run(rule: CompiledRule, scope: Mapping[str, Any], runner) -> Any:
    namespace = _globals(Meter(MAX_ALLOCATED), Budget(), scope)
    try:
        return runner(rule.code, namespace), namespace
    except SandboxLimit as exc:
        raise SandboxRuntimeError(f"stopped: {exc}", _line(exc.__traceback__)) from None
    except SandboxError as exc:
        raise SandboxRuntimeError(str(exc.args[0]), exc.line or _line(exc.__traceback__)) from None
    except RecursionError:
        raise SandboxRuntimeError("stopped: calls nest too deeply") from None
    except MemoryError:
        raise SandboxRuntimeError("stopped: out of memory") from None
    except Exception as exc:  # noqa: BLE001 - any failure of untrusted code is the rule's
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise SandboxRuntimeError(message, _line(exc.__traceback__)) from None


def evaluate(rule: CompiledRule | str, scope: Mapping[str, Any]) -> Any:
    """The value of an expression (formula, condition) in ``scope``."""
    if isinstance(rule, str):
        rule = compile_rule(rule, "eval")
    value, _ = _run(rule, scope, eval)
    return value


def execute(rule: CompiledRule | str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """Run a script; returns its final namespace (the scope objects it may have changed)."""
    if isinstance(rule, str):
        rule = compile_rule(rule, "exec")
    _, namespace = _run(rule, scope, _exec)
    return namespace


def _exec(code, namespace):
    exec(code, namespace)  # noqa: S102 - RestrictedPython-compiled, guarded and budgeted
