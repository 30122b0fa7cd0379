"""The rule sandbox: RestrictedPython compilation plus run-time guards and budgets.

Expressions (formulas, conditions) and scripts (automation actions) written by
implementers run here. They see the record, the acting user, safe builtins and a few
helpers, and nothing else; every run has a step, time, depth and size budget, and built-ins
that work in C pay for their work before they do it.
"""

from plinth.rules.sandbox.compiler import CompiledRule, compile_rule, rule_problem
from plinth.rules.sandbox.errors import SandboxError, SandboxLimit, SandboxRuntimeError
from plinth.rules.sandbox.runner import evaluate, execute
from plinth.rules.sandbox.trial import trial_problem

__all__ = [
    "CompiledRule",
    "SandboxError",
    "SandboxLimit",
    "SandboxRuntimeError",
    "compile_rule",
    "evaluate",
    "execute",
    "rule_problem",
    "trial_problem",
]
