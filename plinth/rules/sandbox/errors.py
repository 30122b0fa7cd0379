"""Errors of sandboxed code."""

from __future__ import annotations


class SandboxError(ValueError):
    """Code that cannot be accepted (at save) or that failed (at run time)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line

    def __str__(self) -> str:
        message = super().__str__()
        return f"line {self.line}: {message}" if self.line else message


class SandboxRuntimeError(SandboxError):
    """Sandboxed code raised, or was stopped by a limit, while running.

    ``limit`` is true when a budget stopped it (steps, time, sizes, memory, nesting) rather
    than an error of the code or of its data.
    """

    def __init__(self, message: str, line: int | None = None, limit: bool = False):
        super().__init__(message, line)
        self.limit = limit


class SandboxLimit(BaseException):  # noqa: N818 - deliberately not an Exception
    """Raised inside sandboxed code when a budget runs out or a value would be too large.

    It derives from BaseException so that ``except Exception`` in a script cannot catch
    it (bare ``except:`` is refused at compile time).
    """
