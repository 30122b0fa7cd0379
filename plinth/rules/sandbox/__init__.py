"""The rule sandbox: RestrictedPython compilation plus run-time guards and budgets.

Expressions (formulas, conditions) and scripts (automation actions) written by
implementers run here. They see the record, the acting user, safe builtins and a few
helpers, and nothing else; every run has a step, time, depth and size budget.
"""

from plinth.rules.sandbox.compiler import CompiledRule, compile_rule, rule_problem
from plinth.rules.sandbox.errors import SandboxError, SandboxLimit, SandboxRuntimeError
from plinth.rules.sandbox.runner import evaluate, execute

__all__ = [
    "CompiledRule",
    "SandboxError",
    "SandboxLimit",
    "SandboxRuntimeError",
    "compile_rule",
    "evaluate",
    "execute",
    "rule_problem",
]
