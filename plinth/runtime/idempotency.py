"""Idempotency keys: an unsafe API request sent with an ``Idempotency-Key`` header is applied
once per user and key; a replay gets the first answer back.

How a request goes (the HTTP side is ``plinth.api.idempotency``; the claim is made by
``plinth.auth.web_session.request_session``, once it knows the user):

- The key is **claimed** by inserting its row in the request's own write transaction,
  before the work. The primary key (user, key) makes a concurrent duplicate wait for the
  first transaction: when that commits, the duplicate finds the row and does nothing; when
  it rolls back (the request failed), the row is gone and the duplicate goes ahead. A
  failed request therefore never keeps its key, and the client may retry with it.
- A request whose work runs in a transaction of its own (the metadata publisher) claims the
  key in a short transaction first (``held``) and releases it when it fails.
- Once the response exists the answer (status, a few headers, body) is stored with the key.
  A replay in between (the first is still finishing, or its answer was lost) is refused
  with 409: the work is never done twice.
- Rows live for ``RETENTION`` after the first request, then the scheduler's tick purges them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from plinth.errors import Conflict, ValidationError
from plinth.runtime import system_tables as st

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: How long a key and its answer are kept. A module constant for now: it becomes a setting
#: (``PLINTH_IDEMPOTENCY_HOURS``) once plinth/config.py declares one.
RETENTION = dt.timedelta(hours=24)

# How far a request's claim got (``KeyedRequest.state``).
PENDING = "pending"  # not claimed (yet, or any more: its transaction rolled back)
CLAIMED = "claimed"  # inserted in the request's transaction, which has not ended yet
COMMITTED = "committed"  # that transaction committed: the work is done, the answer is due
HELD = "held"  # claimed in a transaction of its own; the work runs elsewhere
SETTLED = "settled"  # answered from an earlier request (replayed or refused)


@dataclasses.dataclass(frozen=True)
class Answer:
    """A response as stored: status, the headers worth repeating, and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclasses.dataclass(frozen=True)
class Earlier:
    """The row an earlier request with the same user and key left."""

    fingerprint: str
    answer: Answer | None


class KeyReused(ValidationError):
    """The key was used before for another request (method, path or body): 422."""

    title = "Idempotency key reused"


class KeyInUse(Conflict):
    """The key's request was applied (or is being applied) and its answer is not stored."""

    title = "Idempotency key in use"


class Replay(Exception):  # noqa: N818 - control flow, not an error: the first answer, again
    """Raised when a request was answered before: the HTTP layer sends ``answer`` again."""

    def __init__(self, answer: Answer):
        super().__init__(f"replay of a {answer.status} answer")
        self.answer = answer


def valid_key(key: str) -> bool:
    """1 to 255 printable ASCII characters (space to ``~``)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests the same request: method, path, query string and body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclasses.dataclass
class KeyedRequest:
    """An unsafe request's key and fingerprint, and how far its claim got."""

    key: str
    fingerprint: str
    user_id: int | None = None
    state: str = PENDING

    def claim(self, conn: Connection, user_id: int, now: dt.datetime, held: bool = False) -> None:
        """Claim the key in ``conn``'s transaction (``held``: a transaction of its own that
        commits at once); raise when an earlier request holds it: ``Replay`` with its answer,
        ``KeyReused`` (422) when it was another request, ``KeyInUse`` (409) when its answer
        is not stored."""
        earlier = claim(conn, user_id, self.key, self.fingerprint, now)
        if earlier is None:
            self.user_id, self.state = user_id, HELD if held else CLAIMED
            return
        self.state = SETTLED
        if earlier.fingerprint != self.fingerprint:
            raise KeyReused.single(
                HEADER,
                "was already used for another request (method, path or body differ); "
                "send a new key for a new request",
            )
        if earlier.answer is None:
            raise KeyInUse(
                f"the request with this {HEADER} was already applied, or is being applied, "
                "and its answer is not available yet; it will not be applied again "
                "(retry shortly for its answer)"
            )
        raise Replay(earlier.answer)

    def transaction_ended(self) -> None:
        """The claiming transaction ended; until ``transaction_committed``, a rollback."""
        if self.state == CLAIMED:
            self.state = PENDING

    def transaction_committed(self) -> None:
        self.state = COMMITTED


def _insert(conn: Connection) -> Any:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(st.idempotency_key)


def claim(
    conn: Connection, user_id: int, key: str, fingerprint: str, now: dt.datetime
) -> Earlier | None:
    """Insert the key's row; None when this call inserted it, else the earlier request's.

    On PostgreSQL a row inserted by a transaction still running makes this wait until it
    ends (READ COMMITTED: the next statement then sees the committed row).
    """
    k = st.idempotency_key
    statement = (
        _insert(conn)
        .values(user_id=user_id, key=key, fingerprint=fingerprint, created_at=now)
        .on_conflict_do_nothing(index_elements=[k.c.user_id, k.c.key])
        .returning(k.c.key)
    )
    found = sa.select(k.c.fingerprint, k.c.status, k.c.headers, k.c.body).where(
        k.c.user_id == user_id, k.c.key == key
    )
    for _attempt in range(3):  # the row may be released or purged between the statements
        # RETURNING, not rowcount: rowcount is not dependable for ON CONFLICT on every driver.
        if conn.execute(statement).first() is not None:
            return None
        row = conn.execute(found).first()
        if row is not None:
            answer = None
            if row.status is not None:
                answer = Answer(row.status, dict(row.headers or {}), bytes(row.body or b""))
            return Earlier(row.fingerprint, answer)
    raise KeyInUse(f"the {HEADER} is being claimed and released by other requests; retry")


def save_answer(conn: Connection, user_id: int, key: str, answer: Answer, now: dt.datetime) -> None:
    """Keep the answer of the key's request (once: a stored answer is never replaced)."""
    k = st.idempotency_key
    conn.execute(
        k.update()
        .where(k.c.user_id == user_id, k.c.key == key, k.c.status.is_(None))
        .values(status=answer.status, headers=answer.headers, body=answer.body, answered_at=now)
    )


def release(conn: Connection, user_id: int, key: str) -> None:
    """Forget a held key whose request failed, so the client may retry with it."""
    k = st.idempotency_key
    conn.execute(k.delete().where(k.c.user_id == user_id, k.c.key == key, k.c.status.is_(None)))


def purge(conn: Connection, now: dt.datetime, retention: dt.timedelta = RETENTION) -> int:
    """Delete the keys first used more than ``retention`` ago; returns how many."""
    k = st.idempotency_key
    result = conn.execute(k.delete().where(k.c.created_at < now - retention))
    return int(result.rowcount or 0)
