"""The pack's endpoints are in the OpenAPI document, which stays valid."""

from openapi_spec_validator import validate


def test_pack_routes_are_documented_and_the_document_validates(city, as_admin):
    spec = as_admin.get("/api/v1/openapi.json").json
    validate(spec)
    paths = spec["paths"]
    for path in (
        "/api/v1/fs/my/tasks",
        "/api/v1/fs/tasks/{task_id}/parts",
        "/api/v1/fs/check-in/targets",
        "/api/v1/fs/locations",
        "/api/v1/fs/resources/{resource_id}/track",
        "/api/v1/fs/public/work-orders",
        "/api/v1/fs/inbound-email",
        "/api/v1/fs/evaluations/{token}",
        "/api/v1/settings",
        "/api/v1/dispatch/optimize",
        "/api/v1/dispatch/proposals/{proposal_id}",
        "/api/v1/dispatch/proposals/{proposal_id}/commit",
        "/api/v1/dispatch/insert",
    ):
        assert path in paths, path
    engineer = city.engineer.get("/api/v1/openapi.json").json
    validate(engineer)  # an engineer sees fewer objects, and the pack's routes
    assert "/api/v1/records/service_provider" not in engineer["paths"]
    assert "/api/v1/fs/my/tasks" in engineer["paths"]
