"""Property-based fuzzing with schemathesis against the live OpenAPI document.

Every operation of the document is called with generated requests (valid and invalid) as
an administrator, none skipped (see ``tests.fuzzing`` for how the run survives operations
that end its own token). No response may be a 5xx, and every response must match the
document (status code, content type, schema). The examples per operation are bounded to
keep CI fast; the run is derandomized so a failure reproduces.
"""

from plinth.metadata.publisher import Publisher, Put
from tests.docs import ASSET, EVERYTHING, SITE, doc
from tests.fuzzing import Credentials, fuzz
from tests.workflow.ticket_flow import ROLES, TICKET, WORKFLOW

GRAB = {
    "name": "grab",
    "object": "ticket",
    "field": "approver",
    "when": {"on": "create"},
    "candidates": {"role": "manager"},
    "method": "load_balancing",
    "pool": True,
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
    credentials = Credentials(app, admin["id"], admin["token"])
    run = fuzz(app, credentials)
    assert not run.failures, "\n\n".join(run.failures)
    assert len(run.documented) > 30
    assert run.exercised == run.documented  # every operation, none skipped
    # DELETE /auth/token revokes the token on every call: the run renewed it and went on,
    # no example was judged on an unauthenticated answer, and the last call authenticates.
    assert credentials.renewals > 0
    assert run.blind == 0
    assert credentials.is_admin(renew=False)
