"""Noticing changes: a number that grows with every change of some objects' records."""

from __future__ import annotations

from collections.abc import Iterable

from plinth.runtime.history import latest_change_id
from plinth.runtime.session import Session


def latest_change(session: Session, object_names: Iterable[str]) -> int:
    """A stamp of the latest change to any record of these objects (their history rows), in
    any process; read it again later and compare to know whether anything changed. Objects
    that keep no history (``track_history: false``) are never seen to change."""
    return latest_change_id(session.conn, set(object_names))
