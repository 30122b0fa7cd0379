"""Problems found in metadata, each tied to a document and a JSON pointer inside it."""

from __future__ import annotations

import dataclasses

from plinth.errors import MetadataInvalid


@dataclasses.dataclass(frozen=True)
class Problem:
    kind: str
    name: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}{self.pointer or '/'}: {self.message}"


def pointer(*parts: object) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


def raise_if_any(problems: list[Problem], single: tuple[str, str] | None = None) -> None:
    """Raise MetadataInvalid; keys are bare pointers for a single document, else kind/name#ptr."""
    if not problems:
        return
    errors: dict[str, list[str]] = {}
    for problem in problems:
        if single is not None and (problem.kind, problem.name) == single:
            key = problem.pointer or "/"
        else:
            key = f"{problem.kind}/{problem.name}#{problem.pointer or '/'}"
        errors.setdefault(key, []).append(problem.message)
    count = len(problems)
    detail = f"{count} problem{'s' if count > 1 else ''} in metadata: " + "; ".join(
        str(p) for p in problems[:5]
    )
    raise MetadataInvalid(errors, detail=detail)
