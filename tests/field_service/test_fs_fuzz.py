"""The engine's schemathesis fuzz (``tests.fuzzing``) over the field service pack's own
operations, the public web form among them, with the pack installed and a small city.

The pack's settings are fuzzed here too: only with the pack do they have declarations.
"""

from packs.field_service.dispatch import console_api
from tests.fuzzing import Credentials, fuzz


def test_pack_operations_answer_no_server_errors_and_match_the_document(
    app, city, admin, monkeypatch
):
    # the dispatch console's event stream ends after a moment rather than 25 s per call
    monkeypatch.setattr(console_api, "STREAM_SECONDS", 0.1)
    routes = app.extensions["plinth"].tenant.routes.api
    pack_operations = {
        (method.upper(), route.openapi_path) for route in routes for method in (route.openapi or {})
    }
    pack_operations |= {("GET", "/api/v1/settings"), ("PATCH", "/api/v1/settings")}
    credentials = Credentials(app, admin["id"], admin["token"])
    run = fuzz(app, credentials, include=lambda method, path: (method, path) in pack_operations)
    assert not run.failures, "\n\n".join(run.failures)
    assert run.documented == pack_operations  # each one is in the document ...
    assert run.exercised == pack_operations  # ... and was called, none skipped
    assert run.blind == 0
    assert credentials.is_admin(renew=False)
