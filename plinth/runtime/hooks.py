"""Record events that engine subsystems and packs plug into (explicit registration)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session

EVENTS = ("before_save", "after_save", "before_delete", "after_delete")


@dataclasses.dataclass
class RecordEvent:
    """What a hook sees. ``values`` is the full record after the change (mutable in
    before_save); ``old`` the record before it (None on create); ``changed`` the fields set."""

    event: str
    action: str
    session: Session
    model: ObjectModel
    values: dict[str, Any]
    old: dict[str, Any] | None
    changed: set[str]


Handler = Callable[[RecordEvent], None]


class Hooks:
    """Handlers per event, optionally limited to some objects; unknown events fail at once."""

    def __init__(self):
        self._handlers: dict[str, list[tuple[frozenset[str] | None, Handler]]] = {
            event: [] for event in EVENTS
        }

    def register(self, event: str, handler: Handler, objects: Iterable[str] | None = None) -> None:
        if event not in self._handlers:
            raise ValueError(f"unknown record event {event!r}; expected one of {', '.join(EVENTS)}")
        if not callable(handler):
            raise TypeError(f"hook for {event} is not callable: {handler!r}")
        scope = frozenset(objects) if objects is not None else None
        self._handlers[event].append((scope, handler))

    def on(self, event: str, objects: Iterable[str] | None = None) -> Callable[[Handler], Handler]:
        """Decorator form of ``register``."""

        def decorate(handler: Handler) -> Handler:
            self.register(event, handler, objects)
            return handler

        return decorate

    def has(self, event: str, object_name: str) -> bool:
        return any(scope is None or object_name in scope for scope, _ in self._handlers[event])

    def fire(self, payload: RecordEvent) -> None:
        for scope, handler in self._handlers[payload.event]:
            if scope is None or payload.model.name in scope:
                handler(payload)
