"""Message templates (notification titles and bodies, webhook headers) in Jinja2's sandbox."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from plinth.rules.sandbox.errors import SandboxError

MAX_TEMPLATE = 20_000
MAX_OUTPUT = 100_000


@functools.cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=False, trim_blocks=True)


def render(template: str, context: dict[str, Any]) -> str:
    """Render ``{{ record.number }}``-style text; SandboxError on a broken template."""
    if not template:
        return ""
    if len(template) > MAX_TEMPLATE:
        raise SandboxError("the template is too long")
    try:
        output = _environment().from_string(template).render(**context)
    except TemplateError as exc:
        raise SandboxError(f"template: {exc}") from None
    return output[:MAX_OUTPUT]


def template_problem(template: str) -> str | None:
    """What is wrong with a template (for metadata checks), or None."""
    try:
        _environment().parse(template)
    except TemplateError as exc:
        return f"invalid template: {exc}"
    return None
