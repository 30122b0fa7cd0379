"""Running compiled rules with guards and budgets; failures become SandboxRuntimeError."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from types import CodeType, TracebackType
from typing import Any

from plinth.rules.sandbox.attributes import guarded_getattr
from plinth.rules.sandbox.budget import SANDBOX_FILENAME, Budget
from plinth.rules.sandbox.calls import GUARDED_BUILTINS, GuardedPrint, guarded_math
from plinth.rules.sandbox.compiler import CompiledRule, compile_rule
from plinth.rules.sandbox.environment import MATH_ENTRIES, SAFE_BUILTINS, STATIC_HELPERS
from plinth.rules.sandbox.errors import SandboxError, SandboxLimit, SandboxRuntimeError
from plinth.rules.sandbox.guards import binop, compare, compare_chain, guarded_format, inplacevar
from plinth.rules.sandbox.items import (
    dict_display,
    guarded_apply,
    guarded_getitem,
    guarded_key,
    guarded_star,
    guarded_write,
    iter_unpack_sequence,
    set_display,
    unpack_sequence,
)
from plinth.rules.sandbox.limits import MAX_ALLOCATED, MAX_SECONDS
from plinth.rules.sandbox.sizes import (
    SCALARS,
    Meter,
    check_size,
    enter,
    leave,
    running,
    text_size,
)

log = logging.getLogger(__name__)

_MESSAGE_SIZE = 10_000  # characters of an error message shown from a rule's exception

# Runs the code of a compiled rule in its namespace: _eval or _exec.
_Runner = Callable[[CodeType, dict[str, Any], Meter], Any]

# Every run starts from a copy of this; its guards find the run's Meter with current().
_BASE: dict[str, Any] = {
    "__builtins__": {**SAFE_BUILTINS, **GUARDED_BUILTINS},
    "_print_": GuardedPrint,
    "_getiter_": iter,
    "_apply_": guarded_apply,
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_write_": guarded_write,
    "_binop_": binop,
    "_inplacevar_": inplacevar,
    "_compare_": compare,
    "_compare_chain_": compare_chain,
    "_format_": guarded_format,
    "_key_": guarded_key,
    "_set_": set_display,
    "_dict_": dict_display,
    "_star_": guarded_star,
    "_unpack_sequence_": unpack_sequence,
    "_iter_unpack_sequence_": iter_unpack_sequence,
    **STATIC_HELPERS,
    "math": guarded_math(MATH_ENTRIES),
}


def _globals(budget: Budget, scope: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh namespace per run: the shared base, the run's tick, then the scope."""
    namespace = _BASE.copy()
    namespace["_tick_"] = budget.tick
    namespace.update(scope)
    return namespace


def _line(traceback: TracebackType | None) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == SANDBOX_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _message(exc: Exception) -> str:
    """``Type: message`` of a rule's exception, without writing out a huge argument."""
    name = type(exc).__name__
    if text_size(exc.args, _MESSAGE_SIZE, True) > _MESSAGE_SIZE:
        return f"{name} (its message is too long to show)"
    return f"{name}: {exc}" if str(exc) else name


def _run(
    rule: CompiledRule, scope: Mapping[str, Any], runner: _Runner, seconds: float
) -> tuple[Any, dict[str, Any]]:
    budget = Budget(seconds=seconds)
    outer = running()
    if outer is not None and outer.budget.deadline < budget.deadline:
        # a run started by a rule's helper (lookup() computing formulas) ends with it
        budget.deadline, budget.late = outer.budget.deadline, outer.budget.late
    meter = Meter(MAX_ALLOCATED, budget)
    namespace = _globals(meter.budget, scope)
    token = enter(meter)
    try:
        return runner(rule.code, namespace, meter), namespace
    except SandboxLimit as exc:
        raise SandboxRuntimeError(f"stopped: {exc}", _line(exc.__traceback__), True) from None
    except SandboxError as exc:
        raise SandboxRuntimeError(str(exc.args[0]), exc.line or _line(exc.__traceback__)) from None
    except RecursionError:
        raise SandboxRuntimeError("stopped: calls nest too deeply", limit=True) from None
    except MemoryError:
        raise SandboxRuntimeError("stopped: out of memory", limit=True) from None
    except Exception as exc:  # noqa: BLE001 - any failure of untrusted code is the rule's
        raise SandboxRuntimeError(_message(exc), _line(exc.__traceback__)) from None
    finally:
        leave(token)


def evaluate(
    rule: CompiledRule | str, scope: Mapping[str, Any], *, seconds: float = MAX_SECONDS
) -> Any:
    """The value of an expression (formula, condition) in ``scope``."""
    if isinstance(rule, str):
        rule = compile_rule(rule, "eval")
    value, _ = _run(rule, scope, _eval, seconds)
    return value


def execute(
    rule: CompiledRule | str, scope: Mapping[str, Any], *, seconds: float = MAX_SECONDS
) -> dict[str, Any]:
    """Run a script; returns its final namespace (the scope objects it may have changed)."""
    if isinstance(rule, str):
        rule = compile_rule(rule, "exec")
    _, namespace = _run(rule, scope, _exec, seconds)
    return namespace


def _eval(code: CodeType, namespace: dict[str, Any], meter: Meter) -> Any:
    value = eval(code, namespace)  # noqa: S307 - RestrictedPython-compiled, guarded, budgeted
    if type(value) in SCALARS:
        return value
    if isinstance(value, Iterator):  # map(), a generator...: its values, paid for here
        value = list(value)
        meter.charge(check_size(len(value)))
    # callers go through a result (JSON, coercion) outside the sandbox: weigh it here
    meter.weigh(value, "the rule's result")
    return value


def _exec(code: CodeType, namespace: dict[str, Any], meter: Meter) -> None:
    exec(code, namespace)  # noqa: S102 - RestrictedPython-compiled, guarded and budgeted
    for value in namespace.values():
        if getattr(type(value), "__sandbox_writable__", False):
            meter.weigh(value, "the record the script changed")
