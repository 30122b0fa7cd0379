"""Every endpoint of the API that is not a pack's: what ``/api/v1/openapi.json`` describes
besides the records (the route modules register their own)."""

from __future__ import annotations

from plinth.api.routes_assignment import ENDPOINTS as ASSIGNMENT
from plinth.api.routes_auth import ENDPOINTS as AUTH
from plinth.api.routes_files import ENDPOINTS as FILES
from plinth.api.routes_jobs import ENDPOINTS as JOBS
from plinth.api.routes_metadata import ENDPOINTS as METADATA
from plinth.api.routes_settings import ENDPOINTS as SETTINGS
from plinth.api.routes_system import ENDPOINTS as SYSTEM
from plinth.api.routes_uploads import ENDPOINTS as UPLOADS
from plinth.api.routes_users import ENDPOINTS as USERS
from plinth.api.routes_workflow import ENDPOINTS as WORKFLOW

ENDPOINTS = (
    *SYSTEM,
    *AUTH,
    *USERS,
    *METADATA,
    *FILES,
    *UPLOADS,
    *JOBS,
    *WORKFLOW,
    *ASSIGNMENT,
    *SETTINGS,
)
