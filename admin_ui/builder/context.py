"""One builder request's work: the pages' session, for administrators only."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from admin_ui.pages.context import page_session
from plinth.auth.web_session import require_admin
from plinth.runtime.session import Session


@contextlib.contextmanager
def admin_session(write: bool | None = None) -> Iterator[Session]:
    """A page session whose actor must be an administrator (403 otherwise)."""
    with page_session(write=write) as session:
        require_admin(session)
        yield session
