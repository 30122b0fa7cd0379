"""The parts of the OpenAPI document that do not depend on metadata."""

from __future__ import annotations

from typing import Any

from plinth.metadata.kinds import KINDS

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ok(schema: dict[str, Any], description: str = "OK", status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": json_content(schema)}}


def listing_of(schema: dict[str, Any], paged: bool = True) -> dict[str, Any]:
    properties: dict[str, Any] = {"data": {"type": "array", "items": schema}}
    if paged:
        properties["next_cursor"] = {"type": "string", "nullable": True}
    return {"type": "object", "required": ["data"], "properties": properties}


def operation(summary: str, tag: str, responses: dict, **extra) -> dict[str, Any]:
    body = {"summary": summary, "tags": [tag], "responses": {**responses, **ERRORS}}
    body.update(extra)
    return body


def body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """An OpenAPI ``requestBody`` of JSON with ``schema``."""
    return {"required": required, "content": json_content(schema)}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI path parameter ``name`` with ``schema``."""
    return {"name": name, "in": "path", "required": True, "schema": schema}


ERRORS = {"default": {"$ref": "#/components/responses/Problem"}}
NO_CONTENT = {"204": {"description": "Done"}}
CURSOR = query("cursor", {"type": "string"}, "next_cursor of the previous page")
LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size")

USER = {
    "type": "object",
    "required": ["id", "email", "name", "active"],
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "name": {"type": "string"},
        "active": {"type": "boolean"},
        "locale": {"type": "string"},
        "time_zone": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "teams": {"type": "array", "items": {"type": "object"}},
        "manager_id": {"type": "integer", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "last_login_at": {"type": "string", "format": "date-time", "nullable": True},
    },
}
USER_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "email": {"type": "string", "format": "email"},
        "name": {"type": "string", "maxLength": 200},
        "password": {"type": "string", "minLength": 8, "maxLength": 1024},
        "roles": {"type": "array", "items": {"type": "string"}},
        "teams": {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
        "active": {"type": "boolean"},
        "locale": {"type": "string", "enum": ["en", "zh-CN"]},
        "time_zone": {"type": "string"},
        "manager_id": {"type": "integer", "nullable": True},
    },
}
TEAM = {
    "type": "object",
    "required": ["id", "name", "label", "members"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "label": {"type": "string"},
        "members": {"type": "array", "items": {"type": "integer"}},
    },
}
TEAM_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
        "label": {"type": "string", "maxLength": 200},
        "members": {"type": "array", "items": {"type": "integer"}},
    },
}
FILE_INFO = {
    "type": "object",
    "required": ["id", "filename", "content_type", "size", "sha256", "url"],
    "properties": {
        "id": {"type": "string"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "url": {"type": "string"},
    },
}
SETTING = {
    "type": "object",
    "required": ["name", "pack", "type", "value", "default"],
    "properties": {
        "name": {"type": "string", "example": "field_service.require_check_in"},
        "pack": {"type": "string"},
        "type": {"type": "string", "enum": ["boolean", "integer", "number", "string", "list"]},
        "value": {"nullable": True},
        "default": {"nullable": True},
        "label": {"nullable": True},
        "description": {"type": "string", "nullable": True},
        "options": {"type": "array", "items": {"type": "string"}},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
    },
}
CREDENTIALS = {
    "type": "object",
    "required": ["email", "password"],
    "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
}


def static_paths() -> dict[str, Any]:
    """Endpoints that exist whatever the metadata."""
    kind = path_param("kind", {"type": "string", "enum": list(KINDS)})
    name = path_param("name", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"})
    flag = {"type": "boolean"}
    publish = [
        query("confirm_destructive", flag, "allow changes that archive data"),
        query("dry_run", flag, "show the plan without changing anything"),
        query("message", {"type": "string", "maxLength": 500}),
    ]
    document = {"type": "object", "description": "A metadata document of the kind"}
    token_request = {
        "type": "object",
        "required": ["email", "password"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string"},
            "password": {"type": "string"},
            "name": {"type": "string", "maxLength": 100},
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 3650},
        },
    }
    token = {
        "type": "object",
        "required": ["token", "id"],
        "properties": {
            "token": {"type": "string"},
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    }
    health = {
        "type": "object",
        "required": ["status", "database", "queue"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "database": {"type": "string", "enum": ["ok", "unavailable"]},
            "queue": {"type": "string", "enum": ["redis", "inline"]},
        },
    }
    open_ = [{}]  # no authentication needed
    return {
        "/api/v1/health": {
            "get": operation("Database and queue state", "system", ok(health), security=open_)
        },
        "/api/v1/openapi.json": {
            "get": operation("This document", "system", ok({"type": "object"}), security=open_)
        },
        "/api/v1/auth/token": {
            "post": operation(
                "Exchange email and password for an API token (shown once)",
                "auth",
                ok(token, "Created", "201"),
                requestBody=body(token_request),
                security=open_,
            ),
            "delete": operation("Revoke the token used for this request", "auth", NO_CONTENT),
        },
        "/api/v1/auth/tokens": {
            "get": operation(
                "Your API tokens (admins: ?user_id=)",
                "auth",
                ok(listing_of({"type": "object"}, paged=False)),
                parameters=[query("user_id", {"type": "integer"})],
            )
        },
        "/api/v1/auth/tokens/{token_id}": {
            "delete": operation(
                "Revoke a token",
                "auth",
                NO_CONTENT,
                parameters=[path_param("token_id", {"type": "integer"})],
            )
        },
        "/api/v1/auth/login": {
            "post": operation(
                "Start a browser session (cookie); answers the CSRF token",
                "auth",
                ok({"type": "object"}),
                requestBody=body(CREDENTIALS),
                security=open_,
            )
        },
        "/api/v1/auth/logout": {
            "post": operation(
                "End the browser session on the server (everywhere: every session of yours)",
                "auth",
                NO_CONTENT,
                requestBody=body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"everywhere": {"type": "boolean"}},
                    },
                    required=False,
                ),
            )
        },
        "/api/v1/auth/sessions": {
            "get": operation(
                "Your live browser sessions: address, browser, login and last use",
                "auth",
                ok(
                    listing_of(
                        {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "ip": {"type": "string"},
                                "user_agent": {"type": "string"},
                                "created_at": {"type": "string", "format": "date-time"},
                                "last_seen_at": {"type": "string", "format": "date-time"},
                            },
                        },
                        paged=False,
                    )
                ),
            )
        },
        "/api/v1/auth/csrf": {
            "get": operation(
                "The CSRF token of this browser session", "auth", ok({"type": "object"})
            )
        },
        "/api/v1/me": {
            "get": operation("Who you are", "users", ok(ref("User"))),
            "patch": operation(
                "Change your name, locale, time zone or password",
                "users",
                ok(ref("User")),
                requestBody=body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "locale": {"type": "string", "enum": ["en", "zh-CN"]},
                            "time_zone": {"type": "string"},
                            "password": {"type": "string"},
                            "current_password": {"type": "string"},
                        },
                    }
                ),
            ),
        },
        "/api/v1/users": {
            "get": operation(
                "Users (admins see every detail)",
                "users",
                ok(listing_of(ref("User"))),
                parameters=[LIMIT, CURSOR, query("q", {"type": "string"})],
            ),
            "post": operation(
                "Create a user (admin)",
                "users",
                ok(ref("User"), "Created", "201"),
                requestBody=body(ref("UserInput")),
            ),
        },
        "/api/v1/users/{user_id}": {
            "parameters": [path_param("user_id", {"type": "integer"})],
            "get": operation("One user", "users", ok(ref("User"))),
            "patch": operation(
                "Change a user (admin)",
                "users",
                ok(ref("User")),
                requestBody=body(ref("UserInput")),
            ),
        },
        "/api/v1/teams": {
            "get": operation("Teams", "users", ok(listing_of(ref("Team"), paged=False))),
            "post": operation(
                "Create a team (admin)",
                "users",
                ok(ref("Team"), "Created", "201"),
                requestBody=body(ref("TeamInput")),
            ),
        },
        "/api/v1/teams/{team_id}": {
            "parameters": [path_param("team_id", {"type": "integer"})],
            "get": operation("One team", "users", ok(ref("Team"))),
            "patch": operation(
                "Change a team (admin)",
                "users",
                ok(ref("Team")),
                requestBody=body(ref("TeamInput")),
            ),
        },
        "/api/v1/audit": {
            "get": operation(
                "Audit log: authentication events and metadata changes (admin)",
                "system",
                ok(listing_of({"type": "object"})),
                parameters=[
                    LIMIT,
                    CURSOR,
                    query("event", {"type": "string"}),
                ],
            )
        },
        "/api/v1/settings": {
            "get": operation(
                "Pack settings with their values and declarations",
                "system",
                ok(listing_of(ref("Setting"), paged=False)),
            ),
            "patch": operation(
                "Change settings, all or nothing; null restores the default (admin)",
                "system",
                ok(listing_of(ref("Setting"), paged=False)),
                requestBody=body({"type": "object", "additionalProperties": True}),
            ),
        },
        "/api/v1/metadata/revisions": {
            "get": operation(
                "Metadata revisions, newest first (admin)",
                "metadata",
                ok(listing_of({"type": "object"})),
                parameters=[LIMIT, CURSOR],
            )
        },
        "/api/v1/metadata/revisions/{revision_id}": {
            "get": operation(
                "One revision with the diff of each change (admin)",
                "metadata",
                ok({"type": "object"}),
                parameters=[path_param("revision_id", {"type": "integer"})],
            )
        },
        "/api/v1/metadata/{kind}": {
            "parameters": [kind],
            "get": operation(
                "Documents of a kind", "metadata", ok(listing_of(document, paged=False))
            ),
            "post": operation(
                "Create a document (admin); objects sync the schema first",
                "metadata",
                ok(document, "Created", "201"),
                requestBody=body(document),
                parameters=publish,
            ),
        },
        "/api/v1/metadata/{kind}/{name}": {
            "parameters": [kind, name],
            "get": operation("One document", "metadata", ok(document)),
            "put": operation(
                "Create or replace a document (admin)",
                "metadata",
                {**ok(document), **ok(document, "Created", "201")},
                requestBody=body(document),
                parameters=publish,
            ),
            "delete": operation(
                "Delete a document (admin)", "metadata", NO_CONTENT, parameters=publish
            ),
        },
        "/api/v1/notifications": {
            "get": operation(
                "Your in-app notifications, newest first, with the unread count",
                "users",
                ok(
                    {
                        **listing_of({"type": "object"}),
                        "properties": {
                            **listing_of({"type": "object"})["properties"],
                            "unread": {"type": "integer"},
                        },
                    }
                ),
                parameters=[LIMIT, CURSOR, query("unread", {"type": "boolean"})],
            )
        },
        "/api/v1/notifications/{notification_id}/read": {
            "post": operation(
                "Mark one notification read",
                "users",
                NO_CONTENT,
                parameters=[path_param("notification_id", {"type": "integer"})],
            )
        },
        "/api/v1/notifications/read_all": {
            "post": operation("Mark all your notifications read", "users", ok({"type": "object"}))
        },
        "/api/v1/jobs": {
            "get": operation(
                "Background jobs (admin); status=failed lists those that gave up",
                "system",
                ok(listing_of({"type": "object"})),
                parameters=[
                    LIMIT,
                    CURSOR,
                    query(
                        "status",
                        {
                            "type": "string",
                            "enum": ["queued", "running", "retry", "done", "failed"],
                        },
                    ),
                    query("name", {"type": "string"}),
                ],
            )
        },
        "/api/v1/jobs/{job_id}": {
            "get": operation(
                "One job (admin)",
                "system",
                ok({"type": "object"}),
                parameters=[path_param("job_id", {"type": "integer"})],
            )
        },
        "/api/v1/jobs/{job_id}/retry": {
            "post": operation(
                "Run a failed job again (admin)",
                "system",
                ok({"type": "object"}, "Accepted", "202"),
                parameters=[path_param("job_id", {"type": "integer"})],
            )
        },
        "/api/v1/webhooks/deliveries": {
            "get": operation(
                "Webhook delivery log, newest first (admin)",
                "system",
                ok(listing_of({"type": "object"})),
                parameters=[
                    LIMIT,
                    CURSOR,
                    query("job_key", {"type": "string"}),
                    query("automation", {"type": "string"}),
                ],
            )
        },
        "/api/v1/files": {
            "post": operation(
                "Upload a file (multipart part `file`, or raw bytes with ?filename=)",
                "files",
                ok(ref("FileInfo"), "Created", "201"),
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                },
            )
        },
        "/api/v1/files/{file_id}": {
            "get": operation(
                "Download a file",
                "files",
                {
                    "200": {
                        "description": "The file",
                        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                    }
                },
                parameters=[path_param("file_id", {"type": "string"})],
            )
        },
    }


def static_schemas() -> dict[str, Any]:
    return {
        "Problem": PROBLEM,
        "User": USER,
        "UserInput": USER_INPUT,
        "Team": TEAM,
        "TeamInput": TEAM_INPUT,
        "FileInfo": FILE_INFO,
        "Setting": SETTING,
    }
