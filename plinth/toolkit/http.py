"""HTTP helpers of the pack toolkit: the request session, JSON bodies, list envelopes.

Pack endpoints (``context.api_route``) use these through ``plinth.toolkit`` rather than the
API's internal modules, so those can change without breaking packs. A body is best described
by a marshmallow schema built from ``schemas`` (``schemas.Body`` and its strict fields):
``load_body(schema)`` checks it (422 naming each property) and ``request_body(schema)`` puts
the same schema in the route's OpenAPI operation; ``answer(schema, data)`` shapes a reply.
``json_props`` reads typed properties of a body by hand (text, ids within 64 bits, lists).
"""

from plinth import json_props, schemas
from plinth.api.contract import answer, load_body
from plinth.api.jsonio import BadRequest, checked_body, json_body, optional_body
from plinth.api.openapi.parts import body as request_body
from plinth.api.openapi.parts import path_param
from plinth.api.record_responses import expected_version, with_etag
from plinth.api.responses import bool_arg, date_arg, int_arg, listing
from plinth.auth.web_session import client_address, csrf_token, require_admin
from plinth.auth.web_session import request_session as api_session
from plinth.extension import current_tenant
from plinth.runtime.file_types import check_upload
from plinth.services.rate_limits import hit as rate_limit

__all__ = [
    "BadRequest",
    "answer",
    "api_session",
    "bool_arg",
    "check_upload",
    "client_address",
    "csrf_token",
    "date_arg",
    "current_tenant",
    "expected_version",
    "int_arg",
    "checked_body",
    "json_body",
    "json_props",
    "listing",
    "load_body",
    "optional_body",
    "path_param",
    "rate_limit",
    "request_body",
    "require_admin",
    "schemas",
    "with_etag",
]
