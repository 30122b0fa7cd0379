"""Who really asked: verifying the requester of a web form request.

The web form is anonymous, so what a submitter says about themselves is a claim. A web form
work order is created with ``requester_verified`` false, filed under a new individual
customer and contact marked ``unverified_requester``:

- when the e-mail or phone matched an existing contact, that contact is only recorded as
  ``claimed_contact`` (the new contact gets none of the matched details) and nobody is
  e-mailed; a dispatcher fires ``confirm_requester`` (the request moves to the claimed
  contact, its customer, service level and a site of theirs) or ``reject_claim`` (the
  claimed contact's e-mail and phone are taken off the request);
- when nothing matched and an e-mail was given, that address gets a signed link
  (``/fs/confirm/<token>``, valid ``field_service.requester_link_days``); confirming it, or
  a dispatcher's ``confirm_requester``, verifies the requester.

Status e-mails and evaluation invitations go only to verified requesters (the automations'
conditions). Work orders from other channels are verified from the start.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request

from packs.field_service.channels.customers import find_site
from packs.field_service.public_pages import error_text, local_when, page_language
from packs.field_service.records import all_records
from plinth.toolkit import (
    ANONYMOUS,
    Filter,
    ListQuery,
    PermissionDenied,
    PlinthError,
    api_session,
    client_address,
    current_tenant,
    get_setting,
    path_param,
    rate_limit,
    read_link,
    sign_link,
)

PURPOSE = "web_requester"
POSTS_PER_HOUR = 20
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TAG = ["field service"]
LINK_ERRORS = {
    "403": {"description": "The link is forged, for another purpose, or the request changed"},
    "404": {"description": "The work order no longer exists"},
    "410": {"description": "The link has expired"},
}
ABOUT = {
    "type": "object",
    "properties": {
        "work_order": {
            "type": "object",
            "properties": {"number": {"type": "string"}, "subject": {"type": "string"}},
        },
        "expires_at": {"type": "string", "format": "date-time"},
        "confirmed": {"type": "boolean"},
    },
}
OPENAPI = {
    "get": {
        "summary": "What a web requester's confirmation link is about (no authentication)",
        "tags": TAG,
        "security": [{}],
        "parameters": [path_param("token", {"type": "string"})],
        "responses": {
            "200": {
                "description": "The request and whether it is confirmed",
                "content": {"application/json": {"schema": ABOUT}},
            },
            **LINK_ERRORS,
        },
    },
    "post": {
        "summary": "Confirm a web form request from the link e-mailed to its requester",
        "tags": TAG,
        "security": [{}],
        "parameters": [path_param("token", {"type": "string"})],
        "responses": {
            "200": {
                "description": "Confirmed (again: nothing changes)",
                "content": {"application/json": {"schema": ABOUT}},
            },
            "429": {"description": "Too many attempts from this address"},
            **LINK_ERRORS,
        },
    },
}


def register(context) -> None:
    context.hooks.register("before_save", settle_requester, objects=["work_order"])
    context.hooks.register("after_save", tidy_up_after_verifying, objects=["work_order"])
    context.api_route("/fs/request-confirmations/<token>", ("GET",), {"get": OPENAPI["get"]})(
        confirmation_summary
    )
    context.api_route("/fs/request-confirmations/<token>", ("POST",), {"post": OPENAPI["post"]})(
        confirmation_submit
    )
    pages = Blueprint("field_service_requester", __name__, template_folder=str(TEMPLATES))
    pages.add_url_rule("/fs/confirm/<token>", view_func=confirmation_page, methods=["GET", "POST"])
    context.blueprint(pages)


# ---- verifying and rejecting (whoever does it: a dispatcher's transition, the link) -------


def _verifying(event) -> bool:
    old = event.old
    return (
        old is not None
        and old.get("requester_verified") is False
        and event.values.get("requester_verified") is True
    )


def _rejecting(event) -> bool:
    old, values = event.old, event.values
    return (
        old is not None
        and bool(old.get("claimed_contact"))
        and not values.get("claimed_contact")
        and values.get("requester_verified") is False
    )


def settle_requester(event) -> None:
    """Verifying a claimed request moves it to the claimed contact; rejecting the claim takes
    the claimed contact's e-mail and phone off the request."""
    if _verifying(event) and event.values.get("claimed_contact"):
        _move_to_claimed(event.session.as_system(), event.values, event.old)
    elif _rejecting(event):
        system = event.session.as_system()
        claimed = system.records.get("contact", event.old["claimed_contact"])
        _drop_details_of(claimed, event.values)


def _move_to_claimed(system, values: dict, old: dict) -> None:
    contact = system.records.get("contact", values["claimed_contact"])
    customer = system.records.get("customer", contact["customer"])
    values.update(
        customer=customer["id"],
        contact=contact["id"],
        service_level=customer.get("service_level") or "standard",
    )
    site_id = old.get("site")
    if not site_id:
        return
    site = system.records.get("site", site_id)
    if site["customer"] != old.get("customer"):
        return  # a dispatcher chose another site meanwhile: keep it
    same = find_site(system, customer["id"], site.get("address"), site.get("district"))
    if same is not None:
        values["site"] = same["id"]
    else:  # the address the requester gave becomes a site of the claimed customer
        rehomed = {"customer": customer["id"], "contact": contact["id"]}
        system.records.update("site", site_id, rehomed)


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def _drop_details_of(claimed: dict, values: dict) -> None:
    email, phone = values.get("contact_email"), values.get("contact_phone")
    if email and email.lower() == (claimed.get("email") or "").lower():
        values["contact_email"] = None
    if phone and _digits(phone) == _digits(claimed.get("phone")):
        values["contact_phone"] = None


def tidy_up_after_verifying(event) -> None:
    """After verifying: the field tasks follow the work order, and the provisional customer
    made for the request goes when nothing else uses it (else it stays, marked unverified);
    a requester verified without a claim is a customer like any other."""
    if not _verifying(event):
        return
    system, values, old = event.session.as_system(), event.values, event.old
    before = old.get("customer")
    if before == values.get("customer"):
        _clear_mark(system, before)
        return
    moves = {"contact": (old.get("contact"), values.get("contact"))}
    moves["site"] = (old.get("site"), values.get("site"))
    tasks = all_records(system, "field_task", [Filter("work_order", "eq", values["id"])])
    for task in list(tasks):
        change = {
            field: new
            for field, (was, new) in moves.items()
            if was and was != new and task.get(field) == was
        }
        if change:
            system.records.update("field_task", task["id"], change)
    _drop_provisional(system, before)


def _clear_mark(system, customer_id) -> None:
    if not customer_id:
        return
    customer = system.records.get("customer", customer_id, ["id", "unverified_requester"])
    if customer.get("unverified_requester"):
        system.records.update("customer", customer_id, {"unverified_requester": False})


def _drop_provisional(system, customer_id) -> None:
    if not customer_id:
        return
    customer = system.records.get("customer", customer_id, ["id", "unverified_requester"])
    if not customer.get("unverified_requester"):
        return
    if system.records.count("work_order", ListQuery([Filter("customer", "eq", customer_id)])):
        return
    try:
        with system.savepoint():
            for site in list(all_records(system, "site", [Filter("customer", "eq", customer_id)])):
                system.records.delete("site", site["id"])
            system.records.delete("customer", customer_id)  # its contacts go with it
    except PlinthError:
        pass  # something else refers to it: it stays, marked as an unverified requester


# ---- the confirmation link ----------------------------------------------------------------


def send_confirmation(system, work_order: dict, address: str) -> None:
    """E-mail a new web requester the link that confirms their request (bilingual)."""
    tenant = system.tenant
    days = get_setting(system, "field_service.requester_link_days")
    payload = {"wo": work_order["id"], "to": address.lower()}
    token = sign_link(tenant, PURPOSE, payload, dt.timedelta(days=days))
    url = f"{tenant.config['PUBLIC_URL'].rstrip('/')}/fs/confirm/{token}"
    _, expires = read_link(tenant, PURPOSE, token)
    until = local_when(expires, tenant)
    number, subject = work_order["number"], work_order.get("subject") or ""
    name = work_order.get("contact_name") or ""
    body = (
        f"Hello {name},\n\n"
        f"We received service request {number} ({subject}) with this e-mail address.\n"
        f"Please confirm that it is yours: {url}\n\n"
        f"The link works until {until}. If you did not send this request, ignore this "
        f"message: you will not get updates about it.\n\n"
        f"{name}您好：\n\n"
        f"我们收到了使用此邮箱提交的服务请求 {number}（{subject}）。\n"
        f"请点击以下链接确认是您本人提交：{url}\n\n"
        f"链接有效期至 {until}。如非您本人提交，请忽略本邮件，您不会收到该请求的进度通知。\n"
    )
    tenant.jobs.enqueue(
        system,
        "rules.email",
        {"to": address, "subject": f"Please confirm {number} / 请确认您的服务请求", "body": body},
        key=f"field_service.requester_confirmation:{work_order['id']}",
    )


def _open(session, token: str) -> tuple[dict, dt.datetime]:
    """The work order a link confirms; 403 when the link is not valid or the request's
    e-mail or claim changed since it was sent."""
    payload, expires = read_link(session.tenant, PURPOSE, token)
    if not isinstance(payload, dict):
        raise PermissionDenied("the link is not valid")
    work_order_id, address = payload.get("wo"), payload.get("to")
    if not isinstance(work_order_id, int) or not isinstance(address, str):
        raise PermissionDenied("the link is not valid")
    fields = ["id", "number", "subject", "contact_email", "claimed_contact", "requester_verified"]
    work_order = session.as_system().records.get("work_order", work_order_id, fields)
    current = (work_order.get("contact_email") or "").lower()
    if work_order.get("claimed_contact") or current != address:
        raise PermissionDenied("the link is not valid")
    return work_order, expires


def _about(work_order: dict, expires: dt.datetime) -> dict:
    return {
        "work_order": {"number": work_order["number"], "subject": work_order["subject"]},
        "expires_at": expires,
        "confirmed": work_order.get("requester_verified") is not False,
    }


def summary(session, token: str) -> dict:
    return _about(*_open(session, token))


def confirm(session, token: str) -> dict:
    """Verify the requester of the link's work order (once; again changes nothing)."""
    work_order, expires = _open(session, token)
    system = session.as_system()
    locked = system.records.lock("work_order", work_order["id"])
    if locked.get("requester_verified") is False:
        system.records.update("work_order", work_order["id"], {"requester_verified": True})
    return _about({**work_order, "requester_verified": True}, expires)


def _count_attempt() -> None:
    rate_limit(current_tenant(), "fs.requester_link", client_address(), POSTS_PER_HOUR, 3600)


def confirmation_summary(token: str):
    with api_session(anonymous=True) as s:
        return jsonify(summary(s, token))


def confirmation_submit(token: str):
    _count_attempt()
    with api_session(anonymous=True) as s:
        return jsonify(confirm(s, token))


# ---- the HTML page --------------------------------------------------------------------------

TEXTS = {
    "en": {
        "title": "Confirm your service request",
        "intro": "We received this service request with your e-mail address:",
        "ask": "Please confirm that you sent it. We will then keep you informed by e-mail.",
        "confirm": "Yes, I sent this request",
        "ignore": "If you did not send it, close this page: nothing more will be sent to you.",
        "until": "This link works until",
        "done": "Thank you! Your request is confirmed.",
        "already": "This request is already confirmed. Thank you!",
        "forbidden": "This link is not valid. Please use the link from our e-mail.",
        "expired": "This link has expired. Please contact us about your request.",
        "missing": "We could not find this request.",
        "busy": "Too many attempts from your address. Please try again later.",
        "failed": "Something went wrong. Please try again later.",
    },
    "zh-CN": {
        "title": "确认您的服务请求",
        "intro": "我们收到了使用您的邮箱提交的服务请求：",
        "ask": "请确认是您本人提交。确认后我们将通过邮件告知处理进度。",
        "confirm": "是的，是我提交的",
        "ignore": "如非您本人提交，请关闭本页，我们不会再给您发送任何邮件。",
        "until": "链接有效期至",
        "done": "谢谢！您的服务请求已确认。",
        "already": "该服务请求已确认，谢谢！",
        "forbidden": "链接无效，请使用邮件中的链接。",
        "expired": "链接已过期，请就您的请求与我们联系。",
        "missing": "找不到该服务请求。",
        "busy": "尝试次数过多，请稍后再试。",
        "failed": "出错了，请稍后再试。",
    },
}


def _render(lang: str, status: int, **context):
    html = render_template("request_confirmation.html", t=TEXTS[lang], lang=lang, **context)
    headers = {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    return html, status, headers


def confirmation_page(token: str):
    """GET shows the request and one button (so that a mail scanner opening the link
    confirms nothing); POST confirms it."""
    lang = page_language()
    texts = TEXTS[lang]
    tenant = current_tenant()
    anonymous = ANONYMOUS
    try:
        if request.method == "POST":
            _count_attempt()
            with tenant.session(anonymous) as s:
                confirm(s, token)
            return _render(lang, 200, message=texts["done"])
        with tenant.session(anonymous, write=False) as s:
            about = summary(s, token)
    except PlinthError as exc:
        message = error_text(texts, exc.status)
        return _render(lang, exc.status, error=message)
    if about["confirmed"]:
        return _render(lang, 200, message=texts["already"])
    until = local_when(about["expires_at"], tenant)
    return _render(
        lang,
        200,
        work_order=about["work_order"],
        until=until,
        action=f"{request.path}?lang={lang}",
    )
