"""The public web form does not take a submitter's word for who they are: a request that
gives an existing contact's e-mail or phone is only a claim until a dispatcher confirms it,
an unknown submitter confirms by an e-mailed link, and e-mail (real SMTP here) goes only to
verified requesters."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from plinth.auth.signed_links import sign_link
from tests.field_service.test_channels import FORM, request_body, work_orders
from tests.field_service.test_lifecycle import transition

LINK = re.compile(r"http://127\.0\.0\.1:5000/fs/confirm/([A-Za-z0-9_.\-]+)")
CARL = "carl@acme.example"


class Inbox:
    """What a local SMTP server received: (recipients, message) pairs."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd naming
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for tos, m in self.messages if address.lower() in (t.lower() for t in tos)]

    def recipients(self) -> set[str]:
        return {t.lower() for tos, _ in self.messages for t in tos}


@pytest.fixture
def inbox():
    box = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    box.port = port
    yield box
    server.stop()


@pytest.fixture
def plinth_settings(plinth_settings, inbox):
    """The app sends its e-mail to the local SMTP server."""
    return {
        **plinth_settings,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": inbox.port,
        "SMTP_STARTTLS": False,
        "SMTP_FROM": "service@plinth.example",
    }


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_token(inbox: Inbox, address: str) -> str:
    (message,) = inbox.to(address)
    match = LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(1)


def submit(anonymous, **overrides) -> dict:
    reply = anonymous.post(FORM, json=request_body(**overrides))
    assert reply.status == 201, reply.json
    assert set(reply.json) == {"number", "status"}  # the same answer, claim or not
    return reply.json


def test_an_existing_contacts_email_only_claims_the_contact(city, anonymous, inbox):
    ids, dora = city.ids, city.dispatcher
    acme_sites = dora.get(f"/api/v1/records/site?customer={ids['customer']}").json["data"]
    answer = submit(anonymous, name="Carl", email="Carl@ACME.example", phone=None)
    assert "Acme" not in str(answer)
    (wo,) = work_orders(dora, number=answer["number"])
    # not Acme's, not Carl's, and not Acme's premium service level
    assert wo["customer"] != ids["customer"] and wo["contact"] != ids["contact"]
    assert wo["claimed_contact"] == ids["contact"] and wo["requester_verified"] is False
    assert wo["service_level"] == "standard"
    policies = {
        c["policy"] for c in dora.get(f"/api/v1/records/work_order/{wo['id']}/sla").json["data"]
    }
    assert policies == {"work_order_standard"}
    requester = dora.get(f"/api/v1/records/customer/{wo['customer']}").json
    assert requester["unverified_requester"] is True and requester["kind"] == "individual"
    contact = dora.get(f"/api/v1/records/contact/{wo['contact']}").json
    assert contact["email"] is None  # Carl's address is not copied to a second contact
    assert dora.get(f"/api/v1/records/site?customer={ids['customer']}").json["data"] == acme_sites
    # nothing at all is mailed to Carl, not even a link
    assert inbox.messages == []

    # the claim must be settled before the request is taken on
    refused = transition(dora, "work_order", wo["id"], "send_to_field")
    assert refused.status == 422 and "confirm the requester" in refused.problem["detail"]
    shown = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert {"confirm_requester", "reject_claim"} <= {t["name"] for t in shown["_transitions"]}
    # engineers cannot confirm
    assert transition(city.engineer, "work_order", wo["id"], "confirm_requester").status == 403

    # the dispatcher called Carl back: confirmed, the request moves to Carl and Acme
    confirmed = transition(dora, "work_order", wo["id"], "confirm_requester", comment="Called Carl")
    assert confirmed.status == 200, confirmed.json
    moved = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert (moved["customer"], moved["contact"]) == (ids["customer"], ids["contact"])
    assert moved["requester_verified"] is True and moved["service_level"] == "premium"
    assert moved["status"] == "new" and moved["subject"] == wo["subject"]
    site = dora.get(f"/api/v1/records/site/{moved['site']}").json
    assert site["customer"] == ids["customer"] and site["address"] == "88 Nanjing Road"
    # the provisional customer made for the request is gone; the history keeps the move
    assert dora.get(f"/api/v1/records/customer/{wo['customer']}").status == 404
    history = dora.get(f"/api/v1/records/work_order/{wo['id']}/history").json["data"]
    moves = {(e["field"], e["old"], e["new"], e["by"]) for e in history if e["action"] == "update"}
    assert ("customer", wo["customer"], ids["customer"], ids["dora"]) in moves
    assert ("contact", wo["contact"], ids["contact"], ids["dora"]) in moves
    assert ("requester_verified", False, True, ids["dora"]) in moves
    timeline = dora.get(f"/api/v1/records/work_order/{wo['id']}/timeline").json["data"]
    assert [(s["transition"], s["by"], s["comment"]) for s in timeline][-1] == (
        "confirm_requester",
        ids["dora"],
        "Called Carl",
    )
    # from now on Carl hears about his request
    assert transition(dora, "work_order", wo["id"], "send_to_field").status == 200
    (told,) = inbox.to(CARL)
    assert wo["number"] in told["Subject"] and "an engineer has been assigned" in body_of(told)


def test_a_rejected_claim_never_mails_the_contact(city, anonymous, inbox):
    ids, dora = city.ids, city.dispatcher
    answer = submit(anonymous, name="Mallory", email=CARL, phone="+86 139 0000 2222")
    (wo,) = work_orders(dora, number=answer["number"])
    assert wo["claimed_contact"] == ids["contact"]
    assert transition(dora, "work_order", wo["id"], "reject_claim").status == 422  # a reason
    rejected = transition(dora, "work_order", wo["id"], "reject_claim", comment="Carl: not me")
    assert rejected.status == 200, rejected.json
    after = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert after["claimed_contact"] is None and after["requester_verified"] is False
    assert after["customer"] == wo["customer"] and after["customer"] != ids["customer"]
    # Carl's address is taken off the request; the phone given stays
    assert after["contact_email"] is None and after["contact_phone"] == "+86 139 0000 2222"
    # the request itself can go on, for its real (unverified) requester
    assert transition(dora, "work_order", wo["id"], "send_to_field").status == 200
    assert transition(dora, "work_order", wo["id"], "confirm_requester").status == 409
    assert inbox.messages == []
    carl = dora.get(f"/api/v1/records/contact/{ids['contact']}").json
    assert carl["email"] == CARL and carl["customer"] == ids["customer"]


def test_a_phone_claim_is_confirmed_by_the_dispatcher_onto_the_same_customer(city, anonymous):
    """A returning web customer (matched by phone) joins their first request's customer,
    contact and site once a dispatcher confirms."""
    dora = city.dispatcher
    first = submit(anonymous, email=None)
    (one,) = work_orders(dora, number=first["number"])
    assert one["claimed_contact"] is None and one["requester_verified"] is False
    # phone only: no link can be sent, the dispatcher confirms
    assert transition(dora, "work_order", one["id"], "confirm_requester").status == 200
    customer = dora.get(f"/api/v1/records/customer/{one['customer']}").json
    assert customer["unverified_requester"] is False

    second = submit(anonymous, email=None, phone="+8613800001111", subject="Again")
    (two,) = work_orders(dora, number=second["number"])
    assert two["claimed_contact"] == one["contact"] and two["customer"] != one["customer"]
    assert transition(dora, "work_order", two["id"], "confirm_requester").status == 200
    two = dora.get(f"/api/v1/records/work_order/{two['id']}").json
    assert (two["customer"], two["contact"], two["site"]) == (
        one["customer"],
        one["contact"],
        one["site"],
    )
    contacts = dora.get("/api/v1/records/contact?phone=%2B86 138 0000 1111").json["data"]
    assert [c["id"] for c in contacts] == [one["contact"]]


def test_an_unknown_requester_confirms_with_the_emailed_link(city, anonymous, inbox, as_admin):
    dora, address = city.dispatcher, "wang.fang@example.cn"
    answer = submit(anonymous)
    (wo,) = work_orders(dora, number=answer["number"])
    assert wo["requester_verified"] is False and wo["claimed_contact"] is None
    (mail,) = inbox.to(address)
    assert inbox.recipients() == {address}
    assert answer["number"] in mail["Subject"] and "请确认" in mail["Subject"]
    token = link_token(inbox, address)

    client = anonymous.client
    page = client.get(f"/fs/confirm/{token}", headers={"Accept-Language": "en-GB,en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert answer["number"] in html and "Boiler makes a noise" in html and "data-confirm" in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    chinese = client.get(f"/fs/confirm/{token}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "确认您的服务请求" in chinese.get_data(as_text=True)
    api = anonymous.get(f"/api/v1/fs/request-confirmations/{token}")
    assert api.status == 200 and api.json["confirmed"] is False
    assert api.json["work_order"] == {"number": answer["number"], "subject": "Boiler makes a noise"}
    # opening the link confirms nothing by itself (mail scanners open links)
    assert dora.get(f"/api/v1/records/work_order/{wo['id']}").json["requester_verified"] is False

    done = client.post(f"/fs/confirm/{token}?lang=en")
    assert done.status_code == 200 and "Your request is confirmed" in done.get_data(as_text=True)
    verified = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert verified["requester_verified"] is True and verified["customer"] == wo["customer"]
    customer = dora.get(f"/api/v1/records/customer/{wo['customer']}").json
    assert customer["unverified_requester"] is False
    again = anonymous.post(f"/api/v1/fs/request-confirmations/{token}")
    assert again.status == 200 and again.json["confirmed"] is True
    shown = client.get(f"/fs/confirm/{token}", headers={"Accept-Language": "zh-CN"})
    assert "该服务请求已确认" in shown.get_data(as_text=True)
    assert transition(dora, "work_order", wo["id"], "confirm_requester").status == 422

    # now the requester hears about progress
    resolved = transition(
        dora, "work_order", wo["id"], "resolve_remotely", values={"resolution": "Bled the radiator"}
    )
    assert resolved.status == 200, resolved.json
    subjects = [m["Subject"] for m in inbox.to(address)]
    assert len(subjects) == 3  # the link, "the work is done", the evaluation invitation
    assert any("How did we do?" in s for s in subjects)


def test_no_status_email_or_evaluation_before_the_requester_is_verified(
    city, anonymous, inbox, as_admin
):
    dora, address = city.dispatcher, "li.lei@example.cn"
    answer = submit(anonymous, name="Li Lei", email=address, phone=None)
    (wo,) = work_orders(dora, number=answer["number"])
    resolved = transition(
        dora, "work_order", wo["id"], "resolve_remotely", values={"resolution": "Reset the unit"}
    )
    assert resolved.status == 200, resolved.json
    assert resolved.json["status"] == "completed"
    assert len(inbox.to(address)) == 1  # only the confirmation link
    record = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert record["evaluation_sent_at"] is None
    # even asked directly, the invitation job sends nothing to an unverified requester
    city.app_tenant.jobs.enqueue_now(
        "field_service.evaluation_invitation", {"work_order": wo["id"]}, key="asked"
    )
    assert len(inbox.to(address)) == 1


def test_forged_stale_and_expired_links_are_refused(city, anonymous, inbox):
    dora, address = city.dispatcher, "wang.fang@example.cn"
    answer = submit(anonymous)
    (wo,) = work_orders(dora, number=answer["number"])
    token = link_token(inbox, address)
    tenant = city.app_tenant
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "not-a-token",
        sign_link(tenant, "evaluation", {"wo": wo["id"]}, dt.timedelta(days=7)),
        # signed for another address: the request's e-mail is not the one confirmed
        sign_link(
            tenant, "web_requester", {"wo": wo["id"], "to": "x@example.cn"}, dt.timedelta(days=1)
        ),
    ):
        assert anonymous.post(f"/api/v1/fs/request-confirmations/{bad}").status == 403
        page = anonymous.client.post(f"/fs/confirm/{bad}?lang=en")
        assert page.status_code == 403 and "This link is not valid" in page.get_data(as_text=True)
    assert dora.get(f"/api/v1/records/work_order/{wo['id']}").json["requester_verified"] is False

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)
    tenant.clock = lambda: later
    assert anonymous.post(f"/api/v1/fs/request-confirmations/{token}").status == 410
    expired = anonymous.client.get(f"/fs/confirm/{token}", headers={"Accept-Language": "zh-CN"})
    assert expired.status_code == 410 and "链接已过期" in expired.get_data(as_text=True)
    assert dora.get(f"/api/v1/records/work_order/{wo['id']}").json["requester_verified"] is False


def test_other_channels_stay_verified(city, inbox):
    ids, dora = city.ids, city.dispatcher
    made = dora.post(
        "/api/v1/records/work_order",
        json={
            "subject": "Leak",
            "customer": ids["customer"],
            "contact": ids["contact"],
            "channel": "phone",
        },
    )
    assert made.status == 201 and made.json["requester_verified"] is True
    assert made.json["claimed_contact"] is None
    forged = dora.patch(
        f"/api/v1/records/work_order/{made.json['id']}", json={"requester_verified": False}
    )
    assert forged.status in (403, 422)
    assert transition(dora, "work_order", made.json["id"], "send_to_field").status == 200
    assert len(inbox.to(CARL)) == 1


CONFIRM_TEXTS = {
    "en": {"thanks": "Thank you", "confirmed": "Your request is confirmed"},
    "zh-CN": {"thanks": "提交成功", "confirmed": "您的服务请求已确认"},
}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_new_customer_files_a_request_on_a_phone_and_confirms_it_from_the_email(
    city, server, browser_page, inbox, locale
):
    """The customer's whole way, in a real browser on a phone: the form, the e-mail's link,
    one tap to confirm; the dispatcher then sees a verified requester."""
    from tests.ui.browser_steps import shot

    address = f"new.customer.{locale.lower()}@example.cn"
    context = browser_page.new_context(
        viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{server}/fs/request")
    page.fill("#f-name", "Wang Fang")
    page.fill("#f-email", address)
    page.fill("#f-subject", "Boiler makes a noise")
    page.fill("#f-description", "Loud knocking since yesterday")
    shot(page, f"web-request-{locale}-01-form")
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    assert CONFIRM_TEXTS[locale]["thanks"] in page.inner_text("body")
    shot(page, f"web-request-{locale}-02-thanks")

    token = link_token(inbox, address)
    page.goto(f"{server}/fs/confirm/{token}")
    shot(page, f"web-request-{locale}-03-confirm-page")
    page.locator("[data-confirm]").click()
    page.locator("[data-confirmed]").wait_for()
    assert CONFIRM_TEXTS[locale]["confirmed"] in page.inner_text("[data-confirmed]")
    shot(page, f"web-request-{locale}-04-confirmed")
    context.close()
    (wo,) = work_orders(city.dispatcher, contact_email=address)
    assert wo["requester_verified"] is True
