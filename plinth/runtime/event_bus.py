"""The event bus: handlers per event, registered explicitly, optionally for some objects.

The payloads are in ``plinth.runtime.events``; this module knows them by name only, so
anything may hold a bus without importing what the events carry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

RECORD_EVENTS = ("before_save", "after_save", "before_delete", "after_delete")
EVENTS = (
    *RECORD_EVENTS,
    "formulas_read",
    "transition_recorded",
    "sla_raised",
    "dwell_passed",
    "scheduler_tick",
)
Handler = Callable[[Any], None]


class Payload(Protocol):
    """What the bus reads of a payload: its event's name (and ``model``, when it has one)."""

    @property
    def event(self) -> str: ...


class EventBus:
    """Handlers per event, optionally limited to some objects; unknown events fail at once."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[frozenset[str] | None, Handler]]] = {
            event: [] for event in EVENTS
        }

    def register(self, event: str, handler: Handler, objects: Iterable[str] | None = None) -> None:
        """Call ``handler(payload)`` on ``event`` (for ``objects`` only, when given)."""
        if event not in self._handlers:
            raise ValueError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
        if not callable(handler):
            raise TypeError(f"handler for {event} is not callable: {handler!r}")
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

    def publish(self, payload: Payload) -> None:
        """Hand ``payload`` to the handlers of its event (``payload.event``)."""
        model = getattr(payload, "model", None)
        for scope, handler in self._handlers[payload.event]:
            if scope is None or (model is not None and model.name in scope):
                handler(payload)
