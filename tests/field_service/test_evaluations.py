"""Customer evaluations: the invitation on completion, the signed link's API and page."""

from __future__ import annotations

import datetime as dt
import re

from plinth.auth.signed_links import sign_link
from plinth.rules import email_outbox

LINK = re.compile(r"http://127\.0\.0\.1:5000/fs/evaluate/([A-Za-z0-9_.\-]+)")
GOOD = {"punctuality": 5, "professionalism": 4, "quality": 4}


def transition(api, object_name, record_id, name, **body):
    return api.post(f"/api/v1/records/{object_name}/{record_id}/transitions/{name}", json=body)


def complete_work_order(city) -> dict:
    """A dispatched work order whose field task (ann's) is done, completed by the dispatcher."""
    ids = city.ids
    wo = city.create(
        "work_order",
        {
            "subject": "AC blows warm air",
            "customer": ids["customer"],
            "contact": ids["contact"],
            "site": ids["site"],
            "status": "dispatched",
        },
    )
    city.create(
        "field_task",
        {
            "work_order": wo["id"],
            "description": "Fix the AC",
            "assigned_resource": ids["ann_resource"],
            "status": "completed",
        },
    )
    done = transition(city.dispatcher, "work_order", wo["id"], "complete")
    assert done.status == 200, done.json
    assert done.json["status"] == "completed"
    return wo


def jobs(admin, name: str) -> list[dict]:
    reply = admin.get(f"/api/v1/jobs?name={name}")
    assert reply.status == 200, reply.json
    return reply.json["data"]


def evaluation_emails(admin) -> list[dict]:
    """The e-mails sent by the invitation (the customer also gets status e-mails)."""
    return [
        j
        for j in jobs(admin, "rules.email")
        if j["key"].startswith("rules.email:field_service.evaluation:")
    ]


def invitation_token(city, as_admin) -> tuple[dict, str]:
    wo = complete_work_order(city)
    emails = evaluation_emails(as_admin)
    assert len(emails) == 1, emails
    match = LINK.search(emails[0]["payload"]["body"])
    assert match, emails[0]["payload"]
    return wo, match.group(1)


def test_completing_a_work_order_e_mails_one_evaluation_link(city, as_admin):
    wo = complete_work_order(city)
    invitations = jobs(as_admin, "field_service.evaluation_invitation")
    assert [(j["status"], j["payload"]) for j in invitations] == [
        ("done", {"work_order": wo["id"]})
    ]
    emails = evaluation_emails(as_admin)
    assert len(emails) == 1
    email = emails[0]
    assert email["key"] == f"rules.email:field_service.evaluation:{wo['id']}"
    assert email["payload"]["to"] == "carl@acme.example"
    assert wo["number"] in email["payload"]["subject"]
    assert LINK.search(email["payload"]["body"])
    sent = city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert sent["evaluation_sent_at"]

    # asked again (a retry, a replay): skipped quietly, no second e-mail
    city.app_tenant.jobs.enqueue_now(
        "field_service.evaluation_invitation", {"work_order": wo["id"]}, key="again"
    )
    again = jobs(as_admin, "field_service.evaluation_invitation")
    assert [j["status"] for j in again] == ["done", "done"]
    assert len(evaluation_emails(as_admin)) == 1
    unchanged = city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert unchanged["evaluation_sent_at"] == sent["evaluation_sent_at"]


def test_without_smtp_the_invitation_waits_in_the_outbox_with_a_working_link(
    city, as_admin, anonymous
):
    wo = complete_work_order(city)
    with city.app_tenant.database.transaction() as conn:
        kept, _ = email_outbox.newest(conn, 50)
    key = f"rules.email:field_service.evaluation:{wo['id']}"
    [invitation] = [e for e in kept if e["job_key"] == key]
    assert invitation["recipient"] == "carl@acme.example"
    assert wo["number"] in invitation["subject"]
    token = LINK.search(invitation["body"]).group(1)
    assert anonymous.get(f"/api/v1/fs/evaluations/{token}").status == 200


def test_no_invitation_without_a_contact_email(city, as_admin):
    ids = city.ids
    wo = city.create(
        "work_order",
        {"subject": "Noisy fan", "customer": ids["customer"], "status": "dispatched"},
    )
    assert transition(city.dispatcher, "work_order", wo["id"], "complete").status == 200
    assert evaluation_emails(as_admin) == []
    record = city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert record["evaluation_sent_at"] is None


def test_the_link_shows_the_work_order_and_takes_one_evaluation(city, as_admin, anonymous):
    wo, token = invitation_token(city, as_admin)
    url = f"/api/v1/fs/evaluations/{token}"
    shown = anonymous.get(url)
    assert shown.status == 200, shown.json
    assert shown.json["work_order"]["number"] == wo["number"]
    assert shown.json["work_order"]["subject"] == "AC blows warm air"
    assert shown.json["work_order"]["engineer"] == "Ann"
    assert shown.json["work_order"]["completed_at"]
    assert shown.json["dimensions"] == ["punctuality", "professionalism", "quality"]
    assert shown.json["submitted"] is False
    expires = dt.datetime.fromisoformat(shown.json["expires_at"].replace("Z", "+00:00"))
    days = (expires - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert 6.9 < days <= 7

    stored = anonymous.post(url, json={"ratings": GOOD, "comment": "  Quick and tidy  "})
    assert stored.status == 201, stored.json
    assert stored.json["overall"] == 4.33 and stored.json["channel"] == "link"
    assert stored.json["comment"] == "Quick and tidy"
    assert stored.json["work_order"] == wo["id"]
    rated = city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert rated["rating"] == 4.33
    evaluations = city.dispatcher.get(f"/api/v1/records/evaluation?work_order={wo['id']}")
    assert [e["ratings"] for e in evaluations.json["data"]] == [GOOD]

    second = anonymous.post(
        url, json={"ratings": {"punctuality": 1, "professionalism": 1, "quality": 1}}
    )
    assert second.status == 409, second.json
    assert anonymous.get(url).json["submitted"] is True
    assert city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json["rating"] == 4.33


def test_forged_foreign_and_expired_links_are_refused(city, as_admin, anonymous):
    wo, token = invitation_token(city, as_admin)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "not-a-token", token.replace(".", "", 1)):
        assert anonymous.get(f"/api/v1/fs/evaluations/{bad}").status == 403
        refused = anonymous.post(f"/api/v1/fs/evaluations/{bad}", json={"ratings": GOOD})
        assert refused.status == 403 and refused.problem["status"] == 403
    tenant = city.app_tenant
    foreign = sign_link(tenant, "password_reset", {"wo": wo["id"]}, dt.timedelta(days=7))
    assert anonymous.get(f"/api/v1/fs/evaluations/{foreign}").status == 403
    assert anonymous.post(f"/api/v1/fs/evaluations/{foreign}", json={"ratings": GOOD}).status == 403

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)
    tenant.clock = lambda: later
    gone = anonymous.get(f"/api/v1/fs/evaluations/{token}")
    assert gone.status == 410 and gone.problem["title"] == "Gone"
    assert anonymous.post(f"/api/v1/fs/evaluations/{token}", json={"ratings": GOOD}).status == 410
    assert (
        city.dispatcher.get(f"/api/v1/records/evaluation?work_order={wo['id']}").json["data"] == []
    )


def test_ratings_and_comment_are_checked(city, as_admin, anonymous):
    wo, token = invitation_token(city, as_admin)
    url = f"/api/v1/fs/evaluations/{token}"
    cases = [
        ({"punctuality": 5, "quality": 4}, {"ratings/professionalism"}),
        ({**GOOD, "quality": 6}, {"ratings/quality"}),
        ({**GOOD, "punctuality": 0}, {"ratings/punctuality"}),
        ({**GOOD, "quality": "5"}, {"ratings/quality"}),
        ({**GOOD, "quality": True}, {"ratings/quality"}),
        ({**GOOD, "quality": 4.5}, {"ratings/quality"}),
        ({**GOOD, "speed": 3}, {"ratings/speed"}),
        ([5, 4, 4], {"ratings"}),
        (None, {"ratings"}),
    ]
    for ratings, fields in cases:
        reply = anonymous.post(url, json={"ratings": ratings})
        assert reply.status == 422, (ratings, reply.json)
        assert set(reply.problem["errors"]) == fields, (ratings, reply.json)
    long = anonymous.post(url, json={"ratings": GOOD, "comment": "x" * 2001})
    assert long.status == 422 and set(long.problem["errors"]) == {"comment"}
    assert anonymous.get(url).json["submitted"] is False
    assert anonymous.post(url, json={"ratings": GOOD, "comment": "x" * 2000}).status == 201


def test_submissions_are_rate_limited_per_address(city, anonymous):
    for _ in range(20):
        assert anonymous.post("/api/v1/fs/evaluations/guess", json={"ratings": GOOD}).status == 403
    limited = anonymous.post("/api/v1/fs/evaluations/guess", json={"ratings": GOOD})
    assert limited.status == 429 and limited.headers["Retry-After"]
    other = city.dispatcher.client.post(
        "/api/v1/fs/evaluations/guess",
        json={"ratings": GOOD},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other.status_code == 403


def test_a_phone_evaluation_rates_the_work_order_too(city):
    ids = city.ids
    wo = city.create("work_order", {"subject": "Leak", "customer": ids["customer"]})
    taken = city.dispatcher.post(
        "/api/v1/records/evaluation",
        json={"work_order": wo["id"], "channel": "phone", "ratings": {**GOOD, "quality": 2}},
    )
    assert taken.status == 201, taken.json
    assert taken.json["overall"] == 3.67
    assert city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json["rating"] == 3.67
    bad = city.dispatcher.post(
        "/api/v1/records/evaluation",
        json={"work_order": wo["id"], "ratings": {"quality": 9}},
    )
    assert bad.status == 422
    assert set(bad.problem["errors"]) == {
        "ratings/punctuality",
        "ratings/professionalism",
        "ratings/quality",
    }


def test_the_evaluation_page_in_chinese_and_english(city, as_admin):
    wo, token = invitation_token(city, as_admin)
    client = city.dispatcher.client
    page = client.get(f"/fs/evaluate/{token}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "请评价我们的服务" in html and wo["number"] in html and "Ann" in html
    for name in GOOD:
        assert html.count(f'name="rating_{name}"') == 5
    assert 'name="comment"' in html and 'method="post"' in html

    english = client.get(f"/fs/evaluate/{token}", headers={"Accept-Language": "en-GB,en"})
    assert "How did we do?" in english.get_data(as_text=True)

    incomplete = client.post(
        f"/fs/evaluate/{token}?lang=en",
        data={"rating_punctuality": "5", "rating_quality": "4", "comment": "fine"},
    )
    assert incomplete.status_code == 422
    text = incomplete.get_data(as_text=True)
    assert "Please pick 1 to 5 stars." in text and ">fine</textarea>" in text
    assert re.search(r'id="r-punctuality-5"[^>]*checked', text)
    assert not re.search(r'id="r-punctuality-4"[^>]*checked', text)

    sent = client.post(
        f"/fs/evaluate/{token}?lang=en",
        data={"rating_punctuality": "5", "rating_professionalism": "3", "rating_quality": "4"},
    )
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert "Thank you for your evaluation!" in sent.get_data(as_text=True)
    rated = city.dispatcher.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert rated["rating"] == 4.0

    again = client.get(f"/fs/evaluate/{token}", headers={"Accept-Language": "zh-CN"})
    assert again.status_code == 200 and "该工单已评价过" in again.get_data(as_text=True)
    twice = client.post(f"/fs/evaluate/{token}", data={"rating_quality": "1"})
    assert twice.status_code == 409


def test_the_page_explains_bad_and_expired_links(city, as_admin):
    _, token = invitation_token(city, as_admin)
    client = city.dispatcher.client
    forged = client.get("/fs/evaluate/forged-token", headers={"Accept-Language": "en"})
    assert forged.status_code == 403 and forged.mimetype == "text/html"
    assert "This link is not valid" in forged.get_data(as_text=True)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    city.app_tenant.clock = lambda: later
    expired = client.get(f"/fs/evaluate/{token}", headers={"Accept-Language": "zh-CN"})
    assert expired.status_code == 410 and "链接已过期" in expired.get_data(as_text=True)
    posted = client.post(f"/fs/evaluate/{token}", data={"rating_quality": "5"})
    assert posted.status_code == 410


def test_the_endpoints_are_documented(as_admin):
    paths = as_admin.get("/api/v1/openapi.json").json["paths"]
    link = paths["/api/v1/fs/evaluations/{token}"]
    assert set(link) >= {"get", "post"} and link["post"]["security"] == [{}]
