"""Property-based fuzzing with schemathesis against the live OpenAPI document.

Every operation is called with generated requests (valid and invalid data) as an admin.
No response may be a 5xx, and every response must match the document (status code,
content type, schema). The examples per operation are bounded to keep CI fast; the run is
derandomized so a failure reproduces.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plinth.metadata.publisher import Publisher, Put
from tests.docs import ASSET, EVERYTHING, SITE, doc
from tests.workflow.ticket_flow import ROLES, TICKET, WORKFLOW

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
GRAB = {
    "name": "grab",
    "object": "ticket",
    "field": "approver",
    "when": {"on": "create"},
    "candidates": {"role": "manager"},
    "method": "load_balancing",
    "pool": True,
}
# Calls that would end the fuzzer's own authentication and blind the rest of the run.
SKIPPED = {
    ("DELETE", "/api/v1/auth/token"),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
    ("POST", "/api/v1/auth/logout"),
}


def test_no_server_errors_and_responses_match_the_document(app, admin):
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish(
        [
            *(Put("objects", d) for d in (doc(SITE), doc(ASSET), doc(EVERYTHING), TICKET)),
            *(Put(kind, document) for kind, document in ROLES),
            Put("workflows", WORKFLOW),
            Put("assignment_rules", GRAB),
        ]
    )
    headers = {"Authorization": f"Bearer {admin['token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        tried += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collected and reported together below
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert tried > 30
    assert not failures, "\n\n".join(failures)
