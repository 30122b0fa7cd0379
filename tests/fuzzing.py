"""Fuzzing the live OpenAPI document with schemathesis; the engine's and the packs' fuzz
tests share it.

Every operation is called with generated requests, valid and invalid, as an administrator,
none skipped. The fuzzer may end its own authentication (revoke its token, log itself out,
...); it is not told which operations can, so it cannot miss one. When a call is answered
401 and the token no longer works, the token is issued afresh (the administrator restored)
and the call made again, so every example is judged on an authenticated answer. After each
operation the caller must still be an active administrator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plinth.auth.tokens import create_token
from plinth.runtime import system_tables as st

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
METHODS = ("get", "put", "post", "patch", "delete")
# An upload's chunks are raw bytes under the tus media type (plinth/api/routes_uploads.py).
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
ME = "/api/v1/me"


class Credentials:
    """The administrator's bearer token, renewed when an operation under test ended it."""

    def __init__(self, app, user_id: int, token: str):
        self.app, self.user_id, self.token = app, user_id, token
        self.client = app.test_client()
        self.renewals = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def me(self):
        return self.client.get(ME, headers=self.headers)

    def is_admin(self, renew: bool = True) -> bool:
        """Whether the token (renewed if an operation ended it) is an administrator's."""
        response = self.me()
        if response.status_code == 401 and renew:
            self.renew()
            response = self.me()
        body = response.get_json(silent=True) or {}
        return response.status_code == 200 and "admin" in body.get("roles", ())

    def renew(self) -> None:
        """Restore the administrator (active, admin role) and issue a new token."""
        tenant = self.app.extensions["plinth"].tenant
        user, role = st.user, st.user_role
        with tenant.database.transaction(write=True) as conn:
            conn.execute(user.update().where(user.c.id == self.user_id).values(active=True))
            has_admin = conn.scalar(
                sa.select(role.c.role).where(role.c.user_id == self.user_id, role.c.role == "admin")
            )
            if has_admin is None:
                conn.execute(role.insert(), {"user_id": self.user_id, "role": "admin"})
            self.token, _ = create_token(conn, self.user_id, "fuzz")
        self.renewals += 1


@dataclasses.dataclass
class FuzzRun:
    documented: set[tuple[str, str]]
    exercised: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    failures: list[str] = dataclasses.field(default_factory=list)
    blind: int = 0  # examples answered 401 even with a token renewed for them


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    }


def fuzz(
    app, credentials: Credentials, include: Callable[[str, str], bool] = lambda m, p: True
) -> FuzzRun:
    """Fuzz every documented operation that ``include(method, path)`` accepts."""
    document = credentials.client.get("/api/v1/openapi.json", headers=credentials.headers)
    documented = {op for op in documented_operations(document.get_json()) if include(*op)}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, headers=credentials.headers
    )
    # Schemathesis leaves out the operation serving the document unless a filter names it.
    schema = schema.include(path_regex="^/")
    run = FuzzRun(documented)
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key not in documented:
            continue
        run.exercised.add(key)

        # Valid and invalid requests drawn together: invalid ones (a list where text is
        # expected, a number beyond the schema's bounds) find the type checks nobody wrote.
        both = operation.as_strategy(GenerationMode.NEGATIVE) | operation.as_strategy()

        @given(case=both)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            response = case.call(headers=credentials.headers)
            if response.status_code == 401 and credentials.me().status_code == 401:
                credentials.renew()  # the operation (or an earlier one) ended the token
                response = case.call(headers=credentials.headers)
                if response.status_code == 401 and credentials.me().status_code == 401:
                    run.blind += 1
            case.validate_response(response, checks=CHECKS, headers=credentials.headers)

        name = f"{key[0]} {key[1]}"
        try:
            exercise()
        # Schemathesis raises a FailureGroup, a BaseExceptionGroup: `except Exception` alone
        # would let the first failing operation end the whole run.
        except (Exception, BaseExceptionGroup) as exc:
            run.failures.append(f"{name}: {str(exc)[:800]}")
        if not credentials.is_admin():
            run.failures.append(f"{name}: left the fuzzer authenticated but not an administrator")
            credentials.renew()
    return run
