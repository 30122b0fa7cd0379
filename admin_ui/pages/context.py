"""One request's work in the pages: the request session the API uses too (same
authentication, CSRF check, transaction and record service), with the actor remembered for
language and time zone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import g

from plinth.auth.web_session import request_session
from plinth.runtime.session import Session


@contextlib.contextmanager
def page_session(write: bool | None = None, anonymous: bool = False) -> Iterator[Session]:
    """The request session; a missing login raises NotAuthenticated (a redirect)."""
    with request_session(write=write, anonymous=anonymous) as session:
        g.ui_actor = session.actor
        yield session
