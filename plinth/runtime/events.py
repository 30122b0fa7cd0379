"""Typed events: the only way the runtime and the engines tell the layers above them what
happened. Subscribers register on the tenant's bus (``plinth.runtime.event_bus``) when the
application is composed (``plinth.bootstrap``) or when a pack's plug-in registers.

Record events (``before_save``, ``after_save``, ``before_delete``, ``after_delete``) carry a
``RecordEvent``; the others carry their own payload class below, named by its ``event``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session


@dataclasses.dataclass
class RecordEvent:
    """A record is being saved or deleted, or was. ``values`` is the full record after the
    change (mutable in before_save); ``old`` the record before it (None on create);
    ``changed`` the fields set."""

    event: str
    action: str
    session: Session
    model: ObjectModel
    values: dict[str, Any]
    old: dict[str, Any] | None
    changed: set[str]


@dataclasses.dataclass
class FormulasRead:
    """Records are being read: subscribers fill in the ``wanted`` computed fields."""

    event: ClassVar[str] = "formulas_read"
    session: Session
    model: ObjectModel
    records: list[dict[str, Any]]
    wanted: frozenset[str]


@dataclasses.dataclass
class TransitionRecorded:
    """A workflow transition moved ``record`` (its new values) on; ``key`` names the move
    once, so work it sets off after commit is enqueued once."""

    event: ClassVar[str] = "transition_recorded"
    session: Session
    model: ObjectModel
    record: dict[str, Any]
    old: dict[str, Any] | None
    transition: str
    key: str


@dataclasses.dataclass
class SlaRaised:
    """An SLA clock of ``record`` reached its warning or its breach (``sla_event``)."""

    event: ClassVar[str] = "sla_raised"
    session: Session
    model: ObjectModel
    record: dict[str, Any]
    sla_event: str
    target: str
    key: str


@dataclasses.dataclass
class DwellPassed:
    """``record`` stayed in ``state`` longer than the workflow allows (once per stay)."""

    event: ClassVar[str] = "dwell_passed"
    session: Session
    model: ObjectModel
    record: dict[str, Any]
    state: str
    key: str


@dataclasses.dataclass
class SchedulerTick:
    """The scheduler ticked at ``now`` (every ``length``); subscribers enqueue what is due
    and add what they did to ``counts``."""

    event: ClassVar[str] = "scheduler_tick"
    session: Session
    now: dt.datetime
    length: dt.timedelta
    counts: dict[str, int] = dataclasses.field(default_factory=dict)


PAYLOADS = (FormulasRead, TransitionRecorded, SlaRaised, DwellPassed, SchedulerTick)
