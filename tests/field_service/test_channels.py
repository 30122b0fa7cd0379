"""Work order channels through HTTP: the public web form and inbound e-mail."""

from __future__ import annotations

import base64
from email.message import EmailMessage

FORM = "/api/v1/fs/public/work-orders"
INBOUND = "/api/v1/fs/inbound-email"
RFC822 = {"Content-Type": "message/rfc822"}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5a90000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def transition(api, object_name, record_id, name, **body):
    return api.post(f"/api/v1/records/{object_name}/{record_id}/transitions/{name}", json=body)


def request_body(**overrides) -> dict:
    body = {
        "name": "Wang Fang",
        "phone": "+86 138 0000 1111",
        "email": "wang.fang@example.cn",
        "address": "88 Nanjing Road",
        "district": "Huangpu",
        "subject": "Boiler makes a noise",
        "description": "Loud knocking since yesterday",
        "type": "repair",
    }
    body.update(overrides)
    return body


def work_orders(api, **filters) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    reply = api.get(f"/api/v1/records/work_order?{query}&limit=100")
    assert reply.status == 200, reply.json
    return reply.json["data"]


def messages_of(api, work_order: int) -> list[dict]:
    reply = api.get(f"/api/v1/records/work_order_message?work_order={work_order}&sort=id")
    assert reply.status == 200, reply.json
    return reply.json["data"]


def mail(
    subject="Printer jammed",
    sender="Lucy Li <Lucy.Li@Example.org>",
    message_id="<m1@mail.example.org>",
    body="Paper is stuck in tray 2.",
    **headers,
) -> EmailMessage:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = "service@plinth.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 03 Nov 2025 09:15:00 +0800"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def post_mail(api, message: EmailMessage, content_type="message/rfc822"):
    return api.post(INBOUND, data=message.as_bytes(), headers={"Content-Type": content_type})


# ---- the web form ------------------------------------------------------------------------


def test_the_form_page_speaks_english_and_chinese(city, anonymous):
    english = anonymous.client.get("/fs/request", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert english.status_code == 200
    page = english.get_data(as_text=True)
    assert "Request a service" in page and 'name="website"' in page
    assert 'action="/api/v1/fs/public/work-orders"' in page
    for option in ("installation", "repair", "maintenance", "inspection", "consultation"):
        assert f'value="{option}"' in page
    assert ">Repair<" in page and "<link" not in page and "<script" not in page
    assert "default-src 'none'" in english.headers["Content-Security-Policy"]

    chinese = anonymous.client.get("/fs/request", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = chinese.get_data(as_text=True)
    assert chinese.status_code == 200 and 'lang="zh-CN"' in page
    assert "在线报修" in page and ">维修<" in page and "Request a service" not in page


def test_a_submission_creates_a_web_work_order_for_a_new_customer(city, anonymous):
    reply = anonymous.post(FORM, json=request_body())
    assert reply.status == 201, reply.json
    assert set(reply.json) == {"number", "status"}
    assert reply.json["number"].startswith("WO-") and reply.json["status"] == "new"

    dora = city.dispatcher
    (wo,) = work_orders(dora, number=reply.json["number"])
    assert wo["channel"] == "web" and wo["type"] == "repair"
    assert wo["subject"] == "Boiler makes a noise"
    assert wo["contact_email"] == "wang.fang@example.cn" and wo["contact_name"] == "Wang Fang"
    assert wo["customer"] != city.ids["customer"]
    assert wo["requester_verified"] is False and wo["claimed_contact"] is None
    customer = dora.get(f"/api/v1/records/customer/{wo['customer']}").json
    assert customer["kind"] == "individual" and customer["name"] == "Wang Fang"
    assert customer["unverified_requester"] is True
    contact = dora.get(f"/api/v1/records/contact/{wo['contact']}").json
    assert contact["customer"] == wo["customer"] and contact["phone"] == "+86 138 0000 1111"
    site = dora.get(f"/api/v1/records/site/{wo['site']}").json
    assert site["customer"] == wo["customer"] and site["district"] == "Huangpu"
    assert site["service_group"] == city.ids["group"]  # found from the district


def test_the_same_email_again_is_a_claim_and_leaks_nothing(city, anonymous):
    first = anonymous.post(FORM, json=request_body())
    second = anonymous.post(
        FORM, json=request_body(email="WANG.FANG@Example.CN", phone=None, subject="Again")
    )
    assert first.status == second.status == 201, second.json
    dora = city.dispatcher
    (one,) = work_orders(dora, number=first.json["number"])
    (two,) = work_orders(dora, number=second.json["number"])
    # the second submitter only claims to be the first one until a dispatcher confirms
    assert two["claimed_contact"] == one["contact"] and two["requester_verified"] is False
    assert two["customer"] != one["customer"] and two["contact"] != one["contact"]
    assert len(dora.get("/api/v1/records/contact?email=wang.fang@example.cn").json["data"]) == 1
    assert transition(dora, "work_order", two["id"], "confirm_requester").status == 200
    two = dora.get(f"/api/v1/records/work_order/{two['id']}").json
    assert (two["customer"], two["contact"], two["site"]) == (
        one["customer"],
        one["contact"],
        one["site"],
    )

    # an existing customer's contact, found by e-mail: nothing of Acme comes back, and the
    # request is not Acme's on the submitter's word
    carl = anonymous.post(
        FORM, json=request_body(name="Carl", email="Carl@ACME.example", phone=None, address=None)
    )
    assert carl.status == 201 and set(carl.json) == {"number", "status"}
    assert "Acme" not in str(carl.json)
    (wo,) = work_orders(dora, number=carl.json["number"])
    assert wo["customer"] != city.ids["customer"] and wo["contact"] != city.ids["contact"]
    assert wo["claimed_contact"] == city.ids["contact"] and wo["requester_verified"] is False
    assert wo["service_level"] == "standard" and wo["site"] is not None


def test_a_second_submission_by_phone_claims_the_contact(city, anonymous):
    first = anonymous.post(FORM, json=request_body(email=None))
    second = anonymous.post(FORM, json=request_body(email=None, phone="+8613800001111"))
    assert first.status == second.status == 201
    dora = city.dispatcher
    (one,) = work_orders(dora, number=first.json["number"])
    (two,) = work_orders(dora, number=second.json["number"])
    assert two["claimed_contact"] == one["contact"] and two["contact"] != one["contact"]


def test_missing_and_bad_fields_answer_422_naming_them(city, anonymous):
    reply = anonymous.post(FORM, json={"description": "it broke"})
    assert reply.status == 422
    assert {"name", "subject", "phone", "email"} <= set(reply.problem["errors"])

    reply = anonymous.post(
        FORM, json=request_body(email="not-an-address", subject="x" * 201, type="demolition")
    )
    assert reply.status == 422
    assert set(reply.problem["errors"]) == {"email", "subject", "type"}
    assert work_orders(city.dispatcher, channel="web") == []


def test_the_honeypot_creates_nothing(city, anonymous):
    customers = len(city.dispatcher.get("/api/v1/records/customer").json["data"])
    reply = anonymous.post(FORM, json=request_body(website="http://spam.example"))
    assert reply.status == 202
    assert "number" not in (reply.json or {})
    assert work_orders(city.dispatcher, channel="web") == []
    assert len(city.dispatcher.get("/api/v1/records/customer").json["data"]) == customers


def test_the_sixth_submission_in_an_hour_answers_429(city, anonymous):
    here = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    for n in range(5):
        reply = anonymous.post(FORM, json=request_body(subject=f"Request {n}"), **here)
        assert reply.status == 201, (n, reply.json)
    reply = anonymous.post(FORM, json=request_body(subject="One too many"), **here)
    assert reply.status == 429
    assert 0 < int(reply.headers["Retry-After"]) <= 3600
    elsewhere = {"environ_base": {"REMOTE_ADDR": "198.51.100.9"}}
    assert anonymous.post(FORM, json=request_body(), **elsewhere).status == 201
    assert len(work_orders(city.dispatcher, channel="web")) == 6


def test_a_plain_form_post_renders_the_thanks_page(city, anonymous):
    form = request_body(lang="zh-CN")
    reply = anonymous.client.post(FORM, data=form)
    assert reply.status_code == 201
    page = reply.get_data(as_text=True)
    assert "提交成功" in page and "确认邮件" in page
    (wo,) = work_orders(city.dispatcher, channel="web")
    assert wo["number"] in page

    reply = anonymous.client.post(FORM, data={**form, "name": ""})
    assert reply.status_code == 422 and "为必填项" in reply.get_data(as_text=True)


# ---- inbound e-mail ----------------------------------------------------------------------


def test_an_email_opens_a_work_order(city):
    dora = city.dispatcher
    reply = post_mail(dora, mail())
    assert reply.status == 201, reply.json
    assert reply.json["threaded"] is False and reply.json["number"].startswith("WO-")
    wo = dora.get(f"/api/v1/records/work_order/{reply.json['work_order']}").json
    assert wo["channel"] == "email" and wo["subject"] == "Printer jammed"
    assert wo["description"] == "Paper is stuck in tray 2."
    assert wo["email_thread"] == "<m1@mail.example.org>"
    assert wo["contact_email"].lower() == "lucy.li@example.org"
    contact = dora.get(f"/api/v1/records/contact/{wo['contact']}").json
    assert contact["name"] == "Lucy Li"
    (message,) = messages_of(dora, wo["id"])
    assert message["id"] == reply.json["message"] and message["direction"] == "inbound"
    assert message["message_id"] == "<m1@mail.example.org>"
    assert "Lucy.Li@Example.org" in message["sender"]
    assert message["received_at"].startswith("2025-11-03T01:15:00")

    # a known sender (any case) is matched to the existing contact
    known = post_mail(dora, mail(sender="carl@ACME.example", message_id="<c1@acme.example>"))
    assert known.status == 201, known.json
    wo = dora.get(f"/api/v1/records/work_order/{known.json['work_order']}").json
    assert wo["customer"] == city.ids["customer"] and wo["contact"] == city.ids["contact"]


def test_a_reply_threads_onto_its_work_order_even_when_completed(city):
    dora = city.dispatcher
    first = post_mail(dora, mail())
    wo_id = first.json["work_order"]
    reply = post_mail(
        dora,
        mail(
            subject="Re: Printer jammed",
            message_id="<m2@mail.example.org>",
            body="Still stuck.",
            In_Reply_To="<m1@mail.example.org>",
            References="<m1@mail.example.org>",
        ),
    )
    assert reply.status == 201, reply.json
    assert reply.json["work_order"] == wo_id and reply.json["threaded"] is True
    assert len(work_orders(dora, channel="email")) == 1

    resolved = dora.post(
        f"/api/v1/records/work_order/{wo_id}/transitions/resolve_remotely",
        json={"values": {"resolution": "Cleared the tray"}},
    )
    assert resolved.status == 200, resolved.json
    # a reply further down the thread names only the latest message in In-Reply-To
    late = post_mail(
        dora,
        mail(
            subject="Re: Re: Printer jammed",
            message_id="<m3@mail.example.org>",
            body="Thanks, works now.",
            In_Reply_To="<m2@mail.example.org>",
        ),
    )
    assert late.status == 201 and late.json["work_order"] == wo_id
    assert dora.get(f"/api/v1/records/work_order/{wo_id}").json["status"] == "completed"
    bodies = [m["body"] for m in messages_of(dora, wo_id)]
    assert bodies == ["Paper is stuck in tray 2.", "Still stuck.", "Thanks, works now."]


def test_a_reply_by_subject_tag_threads(city):
    dora = city.dispatcher
    first = post_mail(dora, mail())
    number = first.json["number"]
    tagged = post_mail(
        dora,
        mail(
            subject=f"Question about [{number}]",
            sender="someone.else@example.org",
            message_id="<other@elsewhere.example>",
        ),
    )
    assert tagged.status == 201, tagged.json
    assert tagged.json["work_order"] == first.json["work_order"] and tagged.json["threaded"]
    untagged = post_mail(dora, mail(subject="[WO-209901-99999] unknown", message_id="<x@y.z>"))
    assert untagged.status == 201 and untagged.json["threaded"] is False
    assert untagged.json["work_order"] != first.json["work_order"]


def test_the_same_message_id_is_stored_once(city):
    dora = city.dispatcher
    first = post_mail(dora, mail())
    again = post_mail(dora, mail(), content_type="application/octet-stream")
    assert (first.status, again.status) == (201, 200), again.json
    assert again.json["work_order"] == first.json["work_order"]
    assert again.json["message"] == first.json["message"] and again.json["threaded"] is False
    assert len(messages_of(dora, first.json["work_order"])) == 1
    assert len(work_orders(dora, channel="email")) == 1


def test_only_dispatchers_and_admins_post_email(city, as_admin, anonymous):
    assert post_mail(city.engineer, mail()).status == 403
    assert post_mail(anonymous, mail()).status == 401
    assert work_orders(city.dispatcher, channel="email") == []
    assert post_mail(as_admin, mail()).status == 201


def test_attachments_are_stored_and_refused_types_skipped(city):
    dora = city.dispatcher
    message = mail(body="Photo and the invoice attached.")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="jam.png")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="x-msdownload", filename="run.exe"
    )
    reply = post_mail(dora, message)
    assert reply.status == 201, reply.json
    assert [s["filename"] for s in reply.json["skipped_attachments"]] == ["run.exe"]
    (stored,) = messages_of(dora, reply.json["work_order"])
    assert stored["body"] == "Photo and the invoice attached."
    assert len(stored["attachments"]) == 2
    contents = []
    for file_id in stored["attachments"]:
        download = dora.client.get(
            f"/api/v1/files/{file_id}", headers={"Authorization": f"Bearer {dora.token}"}
        )
        assert download.status_code == 200
        contents.append((download.mimetype, download.data))
    assert sorted(contents) == [("application/pdf", PDF), ("image/png", PNG)]
    wo = dora.get(f"/api/v1/records/work_order/{reply.json['work_order']}").json
    assert sorted(wo["attachments"]) == sorted(stored["attachments"])


def test_an_html_only_email_keeps_its_text(city):
    message = mail(body="")
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Leak under the&nbsp;sink</p>"
        "<script>alert(1)</script></body></html>",
        subtype="html",
    )
    reply = post_mail(city.dispatcher, message)
    assert reply.status == 201, reply.json
    wo = city.dispatcher.get(f"/api/v1/records/work_order/{reply.json['work_order']}").json
    assert wo["description"] == "Leak under the sink"


def test_a_message_without_a_sender_answers_422(city):
    dora = city.dispatcher
    reply = post_mail(dora, mail(sender=None))
    assert reply.status == 422 and "From" in reply.problem["errors"]
    junk = dora.post(INBOUND, data=base64.b64encode(b"\x00\x01 not mail"), headers=RFC822)
    assert junk.status == 422
    assert dora.post(INBOUND, data=b"", headers=RFC822).status == 422
    assert work_orders(dora, channel="email") == []


def test_both_routes_are_in_the_openapi_document(city):
    paths = city.dispatcher.get("/api/v1/openapi.json").json["paths"]
    public = paths[FORM]["post"]
    assert public["tags"] == ["field service"] and public["security"] == [{}]
    assert {"201", "202", "429"} <= set(public["responses"])
    inbound = paths[INBOUND]["post"]
    assert inbound["tags"] == ["field service"]
    assert "message/rfc822" in inbound["requestBody"]["content"]
