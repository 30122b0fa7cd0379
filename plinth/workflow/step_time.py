"""When a workflow step happened: the time its caller says (``occurred_at``, e.g. a phone
that did the step offline and replays it later), checked against the server's clock.

A time is refused (422 on ``occurred_at``) when it is later than now, more than
``STEP_TIME_MAX_AGE_HOURS`` ago, or before the record's last step, each beyond a
``STEP_TIME_SKEW_SECONDS`` allowance for a device clock's error; within the allowance it is
moved to the bound (now, or the last step's time), so a record's steps stay in order.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from plinth.errors import ValidationError
from plinth.i18n import Message
from plinth.runtime.jsonable import format_instant
from plinth.workflow import timeline

if TYPE_CHECKING:
    from plinth.runtime.session import Session

FIELD = "occurred_at"


def step_time(
    session: Session,
    object_name: str,
    record_id: int,
    sent: dt.datetime | None,
    lenient: bool = False,
) -> dt.datetime | None:
    """The checked time of a step on a record (None: none was sent, the step is now).

    ``lenient`` (a step another step sets off, e.g. the work order's with its task's) moves
    a time out of bounds to the nearest bound instead of refusing it.
    """
    if sent is None:
        return None
    config, now = session.tenant.config, session.tenant.clock()
    sent = sent if sent.tzinfo else sent.replace(tzinfo=dt.UTC)
    skew = dt.timedelta(seconds=config["STEP_TIME_SKEW_SECONDS"])
    last = timeline.last_step_at(session.conn, object_name, record_id)
    if not lenient:
        _check(session, sent, now, skew, last)
    earliest = now - dt.timedelta(hours=config["STEP_TIME_MAX_AGE_HOURS"])
    floor = max(earliest, last) if last is not None else earliest
    return min(max(sent, floor), now)


def _check(
    session: Session,
    sent: dt.datetime,
    now: dt.datetime,
    skew: dt.timedelta,
    last: dt.datetime | None,
) -> None:
    locale = session.actor.locale
    hours = session.tenant.config["STEP_TIME_MAX_AGE_HOURS"]
    if sent > now + skew:
        message = Message(
            "is later than the server's time ({now}): check the device's clock",
            locale,
            now=format_instant(now),
        )
    elif sent < now - dt.timedelta(hours=hours) - skew:
        message = Message("is more than {hours} hours ago", locale, hours=hours)
    elif last is not None and sent < last - skew:
        message = Message(
            "is before the record's last step ({at})", locale, at=format_instant(last)
        )
    else:
        return
    raise ValidationError.single(FIELD, message)
