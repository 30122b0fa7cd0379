"""HTTP helpers of the pack toolkit: the request session, JSON bodies, list envelopes.

Pack endpoints (``context.api_route``) use these through ``plinth.toolkit`` rather than the
API's internal modules, so those can change without breaking packs; ``request_body`` and
``path_param`` build the OpenAPI parts a pack route declares; ``json_props`` reads typed
properties of a body (text, ids within 64 bits, lists) with errors naming them.
"""

from plinth import json_props
from plinth.api.auth import api_session, csrf_token, require_admin
from plinth.api.jsonio import BadRequest, checked_body, json_body, optional_body
from plinth.api.openapi.static_parts import body as request_body
from plinth.api.openapi.static_parts import path_param
from plinth.api.rate_limit import hit as rate_limit
from plinth.api.record_responses import expected_version, with_etag
from plinth.api.responses import bool_arg, client_address, date_arg, int_arg, listing
from plinth.extension import current_tenant
from plinth.runtime.file_types import check_upload

__all__ = [
    "BadRequest",
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
    "optional_body",
    "path_param",
    "rate_limit",
    "request_body",
    "require_admin",
    "with_etag",
]
