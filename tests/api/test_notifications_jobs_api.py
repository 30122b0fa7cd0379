"""The notification inbox, and the job and webhook-delivery lists administrators watch."""

from plinth.metadata.publisher import Publisher, Put


def _setup(app):
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish(
        [
            Put("objects", {"name": "ticket", "fields": [{"name": "title", "type": "text"}]}),
            Put(
                "automations",
                {
                    "name": "tell_owner",
                    "object": "ticket",
                    "trigger": {"type": "on_create"},
                    "actions": [
                        {
                            "type": "notify",
                            "to": ["owner"],
                            "title": "New: {{ record.title }}",
                            "message": "Ticket {{ record.id }}",
                        }
                    ],
                },
            ),
        ]
    )
    tenant.jobs.register("test.always_fails", _fail, max_attempts=1)
    return tenant


def _fail(job):
    raise RuntimeError("the printer is on fire")


def test_inbox_unread_counts_and_marking_read(app, people, as_user):
    _setup(app)
    ann = as_user(people("ann", roles=["admin"]))
    for title in ("one", "two"):
        assert ann.post("/api/v1/records/ticket", {"title": title}).status == 201
    inbox = ann.get("/api/v1/notifications").json
    assert inbox["unread"] == 2 and [n["title"] for n in inbox["data"]] == ["New: two", "New: one"]
    first = inbox["data"][1]["id"]
    assert ann.post(f"/api/v1/notifications/{first}/read").status == 204
    assert ann.get("/api/v1/notifications?unread=true").json["unread"] == 1
    assert ann.post("/api/v1/notifications/read_all").json == {"marked": 1}
    ben = as_user(people("ben"))
    assert ben.get("/api/v1/notifications").json == {"data": [], "next_cursor": None, "unread": 0}
    assert ben.post(f"/api/v1/notifications/{first}/read").status == 404  # not his


def test_failed_jobs_are_listed_and_can_be_retried(app, as_admin, people, as_user):
    tenant = _setup(app)
    tenant.jobs.enqueue_now("test.always_fails", {"n": 1}, key="fire")
    failed = as_admin.get("/api/v1/jobs?status=failed").json["data"]
    assert [(j["name"], j["attempts"]) for j in failed] == [("test.always_fails", 1)]
    assert "the printer is on fire" in failed[0]["last_error"]
    retried = as_admin.post(f"/api/v1/jobs/{failed[0]['id']}/retry")
    assert retried.status == 202
    assert (
        as_admin.get(f"/api/v1/jobs/{failed[0]['id']}").json["attempts"] == 2
    )  # ran again, inline
    assert as_admin.post("/api/v1/jobs/999999/retry").status == 409
    assert as_admin.get("/api/v1/jobs?status=nonsense").status == 400
    assert as_user(people("eve")).get("/api/v1/jobs").status == 403
    assert as_admin.get("/api/v1/webhooks/deliveries").json == {"data": [], "next_cursor": None}
