"""What the users, teams, profile and token services take and give, as marshmallow schemas.

The services load their input with these (so the API, the builder's forms and the CLI get
the same checks and messages), the API dumps its answers with them, and the OpenAPI
document shows both. Rules that need the database (a known role, a free email, an existing
team or manager, a valid time zone) stay in the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields, validate

from plinth.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from plinth.auth.passwords import MIN_LENGTH as PASSWORD_MIN
from plinth.auth.users import TIME_ZONE_LENGTH
from plinth.i18n import SUPPORTED_LOCALES
from plinth.json_props import is_id
from plinth.schemas import (
    Answer,
    Body,
    Choice,
    Flag,
    Id,
    Instant,
    ListOf,
    Nested,
    Text,
    Whole,
)

EMAIL_LENGTH = 254
NAME_LENGTH = 200
TEAM_NAME = r"^[a-z][a-z0-9_]{0,62}$"
MAX_TOKEN_DAYS = 3650
MAX_ITEMS = 1000  # roles, teams, members in one body
REQUIRED = "is required"


class IdOrName(fields.Field[int | str]):
    """A team named by its id or its name (anything else, ``true`` or 2^64 or ``{}``, is
    refused before it reaches a query)."""

    default_error_messages = {"invalid": "must be a list of team ids or names"}

    def __init__(self, **kwargs: Any):
        schema = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]}
        super().__init__(metadata=schema, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int | str:
        if isinstance(value, int) and is_id(value):
            return value
        if isinstance(value, str) and len(value) <= 63:
            return value
        raise self.make_error("invalid")


# ---- in ---------------------------------------------------------------------------------------
class UserInput(Body):
    """A user's properties; a change sends only those it changes."""

    email = Text(EMAIL_LENGTH, metadata={"format": "email"})
    name = Text(NAME_LENGTH, allow_none=True)
    password = Text(PASSWORD_MAX, PASSWORD_MIN)
    roles = ListOf(Text(63), MAX_ITEMS, metadata={"description": "admin, or a roles document"})
    teams = ListOf(IdOrName(), MAX_ITEMS, metadata={"description": "team ids or names"})
    active = Flag()
    locale = Choice(SUPPORTED_LOCALES)
    time_zone = Text(TIME_ZONE_LENGTH, metadata={"example": "Asia/Shanghai"})
    manager_id = Id("user", allow_none=True)


class NewUser(UserInput):
    """A new user: the email is required, the rest defaults (active, en, UTC)."""

    email = Text(EMAIL_LENGTH, required=True, metadata={"format": "email"})


class ProfileInput(Body):
    """What users may change about themselves; a new password needs the current one."""

    name = Text(NAME_LENGTH)
    locale = Choice(SUPPORTED_LOCALES)
    time_zone = Text(TIME_ZONE_LENGTH)
    password = Text(PASSWORD_MAX, PASSWORD_MIN)
    current_password = Text(PASSWORD_MAX)


class TeamInput(Body):
    """A team's properties; a new team needs its name."""

    name = Text(
        # marshmallow formats the message: the pattern's braces are doubled
        validate=validate.Regexp(
            TEAM_NAME, error="must match " + TEAM_NAME.replace("{", "{{").replace("}", "}}")
        ),
        metadata={"pattern": TEAM_NAME},
    )
    label = Text(NAME_LENGTH)
    members = ListOf(Id("user"), MAX_ITEMS, metadata={"description": "user ids"})


class TokenRequest(Body):
    """Email and password exchanged for an API token."""

    email = Text(EMAIL_LENGTH, required=True, blank=False)
    password = Text(PASSWORD_MAX, required=True, validate=validate.Length(min=1, error=REQUIRED))
    name = Text(100, metadata={"description": "what the token is for (default: api)"})
    expires_in_days = Whole(1, MAX_TOKEN_DAYS, metadata={"description": "default: never"})


class Credentials(Body):
    """Email and password of a browser login."""

    email = Text(EMAIL_LENGTH, required=True, blank=False)
    password = Text(PASSWORD_MAX, required=True, validate=validate.Length(min=1, error=REQUIRED))


class Logout(Body):
    everywhere = Flag(metadata={"description": "end every session of yours, on every device"})


# ---- out --------------------------------------------------------------------------------------
class TeamRef(Answer):
    id = Whole(required=True)
    name = Text(required=True)


class User(Answer):
    """A user. Administrators and the user see every property; others id, email, name and
    active."""

    id = Whole(required=True)
    email = Text(required=True)
    name = Text(required=True)
    active = Flag(required=True)
    locale = Text()
    time_zone = Text()
    roles = ListOf(Text())
    teams = ListOf(Nested(TeamRef))
    manager_id = Whole(allow_none=True)
    created_at = Instant()
    last_login_at = Instant(allow_none=True)


class Team(Answer):
    id = Whole(required=True)
    name = Text(required=True)
    label = Text(required=True)
    members = ListOf(Whole(), required=True, metadata={"description": "user ids"})


class Token(Answer):
    """A new token: the secret is shown this once."""

    token = Text(required=True)
    id = Whole(required=True)
    name = Text()
    expires_at = Instant(allow_none=True)


class TokenInfo(Answer):
    """A token as listed: never its secret, only the first characters (prefix)."""

    id = Whole(required=True)
    user_id = Whole(required=True)
    name = Text(required=True)
    prefix = Text(required=True)
    created_at = Instant(required=True)
    expires_at = Instant(allow_none=True)
    last_used_at = Instant(allow_none=True)
    revoked_at = Instant(allow_none=True)


class LoggedIn(Answer):
    user = Nested(User, required=True)
    csrf_token = Text(required=True, metadata={"description": "send it as X-CSRF-Token"})


class CsrfToken(Answer):
    csrf_token = Text(required=True)


class BrowserSession(Answer):
    id = Whole(required=True)
    ip = Text(required=True)
    user_agent = Text(required=True)
    created_at = Instant(required=True)
    last_seen_at = Instant(required=True)
