"""The pack toolkit: everything a pack's Python may use of the engine, and nothing else.

Packs import ``plinth.toolkit`` only (ruff bans every other ``plinth.*`` import under
``packs/``), so the engine's modules can change without breaking a pack. Documented in
``docs/toolkit.md``; each entry has its own docstring. The entries, by what they are for:

Errors (raise them; the API answers each with its status and the pages show its message)
    PlinthError, ValidationError (422), NotFound (404), PermissionDenied (403),
    Conflict (409), TooManyRequests (429)
Acting as someone
    Actor, SYSTEM, ANONYMOUS, Session, act_as, as_system, ensure_user
Demo data (``plinth demo``)
    hash_password, demo_account
Queries (through ``session.records``: permissions apply)
    Filter, ListQuery, MAX_LIMIT
Workflow, SLA and business time
    fire_transition, sla_event, sla_clocks, business_calendar, business_calendars,
    calendar_for, BusinessCalendar, parse_duration
Settings of the installed packs
    get_setting, get_settings
Noticing changes (a live page)
    latest_change
Distance
    distance_km, EARTH_RADIUS_KM
Values and words
    to_jsonable, localize
Signed links (an evaluation link, a requester's confirmation)
    sign_link, read_link, LinkExpired
HTTP (API routes registered with ``context.api_route`` and pages of a blueprint)
    api_session, current_tenant, schemas, load_body, answer, checked_body, json_body,
    optional_body, json_props, BadRequest, listing, with_etag, expected_version, bool_arg,
    int_arg, date_arg, client_address, rate_limit, csrf_token, require_admin, check_upload,
    request_body, path_param
"""

from __future__ import annotations

from plinth.auth.signed_links import LinkExpired, read_link, sign_link
from plinth.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PlinthError,
    TooManyRequests,
    ValidationError,
)
from plinth.i18n import localize
from plinth.packs.settings import get_setting, get_settings
from plinth.runtime.jsonable import to_jsonable
from plinth.runtime.query import MAX_LIMIT, Filter, ListQuery
from plinth.toolkit.changes import latest_change
from plinth.toolkit.demo import demo_account, hash_password
from plinth.toolkit.geo import EARTH_RADIUS_KM, distance_km
from plinth.toolkit.http import (
    BadRequest,
    answer,
    api_session,
    bool_arg,
    check_upload,
    checked_body,
    client_address,
    csrf_token,
    current_tenant,
    date_arg,
    expected_version,
    int_arg,
    json_body,
    json_props,
    listing,
    load_body,
    optional_body,
    path_param,
    rate_limit,
    request_body,
    require_admin,
    schemas,
    with_etag,
)
from plinth.toolkit.sessions import (
    ANONYMOUS,
    SYSTEM,
    Actor,
    Session,
    act_as,
    as_system,
    ensure_user,
)
from plinth.toolkit.workflow import (
    BusinessCalendar,
    business_calendar,
    business_calendars,
    calendar_for,
    fire_transition,
    parse_duration,
    sla_clocks,
    sla_event,
)

__all__ = [
    "latest_change",
    "ANONYMOUS",
    "EARTH_RADIUS_KM",
    "MAX_LIMIT",
    "SYSTEM",
    "Actor",
    "BadRequest",
    "BusinessCalendar",
    "Conflict",
    "Filter",
    "LinkExpired",
    "ListQuery",
    "NotFound",
    "PermissionDenied",
    "PlinthError",
    "Session",
    "TooManyRequests",
    "ValidationError",
    "act_as",
    "answer",
    "api_session",
    "as_system",
    "bool_arg",
    "business_calendar",
    "business_calendars",
    "calendar_for",
    "check_upload",
    "checked_body",
    "client_address",
    "csrf_token",
    "current_tenant",
    "date_arg",
    "demo_account",
    "distance_km",
    "ensure_user",
    "expected_version",
    "fire_transition",
    "get_setting",
    "get_settings",
    "hash_password",
    "int_arg",
    "json_body",
    "json_props",
    "listing",
    "load_body",
    "localize",
    "optional_body",
    "parse_duration",
    "path_param",
    "rate_limit",
    "read_link",
    "request_body",
    "require_admin",
    "schemas",
    "sign_link",
    "sla_clocks",
    "sla_event",
    "to_jsonable",
    "with_etag",
]
