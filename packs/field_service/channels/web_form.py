"""The public service request form: ``GET /fs/request`` (an HTML page in English or Chinese)
posting to ``POST /api/v1/fs/public/work-orders`` (anonymous, JSON or form-encoded).

Submissions are limited per client address (``field_service.web_form_per_hour``); a filled
"website" honeypot is accepted and dropped. The work order (channel ``web``) is created as
the system, with its requester unverified (see ``requesters``): it is filed under a new
individual customer and contact, and an existing contact whose e-mail or phone was given is
only recorded as ``claimed_contact``. A new e-mail address (one no contact has) is sent a
link to confirm the request; an existing contact's address is sent nothing. The answer is
the same either way and names only the new work order's number and status.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request

from packs.field_service.channels.customers import EMAIL, create_customer, find_contact, site_for
from packs.field_service.channels.requesters import send_confirmation
from plinth.toolkit import (
    BadRequest,
    TooManyRequests,
    ValidationError,
    api_session,
    client_address,
    csrf_token,
    get_setting,
    json_body,
    localize,
    rate_limit,
)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BUCKET = "fs.web_form"
HONEYPOT = "website"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{1,30}[0-9]$")
# field: (max length, required)
FIELDS = {
    "name": (100, True),
    "phone": (40, False),
    "email": (254, False),
    "address": (500, False),
    "district": (100, False),
    "subject": (200, True),
    "description": (5000, False),
    "type": (40, False),
}
TEXT = {
    "en": {
        "title": "Request a service",
        "intro": "Tell us what needs fixing. We answer within one working day.",
        "name": "Your name",
        "phone": "Phone",
        "email": "E-mail",
        "contact_hint": "Give a phone number or an e-mail address (or both).",
        "address": "Address",
        "district": "District",
        "subject": "Subject",
        "description": "Description",
        "type": "Type of service",
        "submit": "Send request",
        "required": "is required",
        "too_long": "is too long (at most {n} characters)",
        "bad_email": "is not a valid e-mail address",
        "bad_phone": "is not a valid phone number",
        "bad_type": "is not a known type of service",
        "phone_or_email": "give a phone number or an e-mail address",
        "not_text": "must be text",
        "errors": "Please correct the fields marked below.",
        "too_many": "Too many requests from your address. Please try again later.",
        "thanks": "Thank you",
        "received": "We have received your request.",
        "number": "Your work order number is",
        "keep": "Please keep it for any question about this request.",
        "confirm_hint": "If we e-mail you a link to confirm this request, please open it; "
        "otherwise we will contact you.",
        "another": "Send another request",
    },
    "zh-CN": {
        "title": "在线报修",
        "intro": "请描述需要处理的问题，我们将在一个工作日内回复。",
        "name": "您的姓名",
        "phone": "电话",
        "email": "邮箱",
        "contact_hint": "请至少填写电话或邮箱中的一项。",
        "address": "地址",
        "district": "区县",
        "subject": "主题",
        "description": "问题描述",
        "type": "服务类型",
        "submit": "提交报修",
        "required": "为必填项",
        "too_long": "过长（最多 {n} 个字符）",
        "bad_email": "不是有效的邮箱地址",
        "bad_phone": "不是有效的电话号码",
        "bad_type": "不是可选的服务类型",
        "phone_or_email": "请填写电话或邮箱",
        "not_text": "必须是文本",
        "errors": "请修改下方标出的内容。",
        "too_many": "您的地址提交过于频繁，请稍后再试。",
        "thanks": "提交成功",
        "received": "我们已收到您的报修。",
        "number": "您的工单号为",
        "keep": "如有疑问，请提供此工单号。",
        "confirm_hint": "如果您收到我们的确认邮件，请点击其中的链接确认本次报修；"
        "否则我们会与您联系。",
        "another": "再提交一份报修",
    },
}
OPENAPI_FIELDS = {
    name: {"type": "string", "maxLength": length} for name, (length, _) in FIELDS.items()
}
OPENAPI = {
    "post": {
        "summary": "Submit a service request from the public web form (no authentication)",
        "description": (
            "Creates a work order (channel web) with an unverified requester: a new "
            "individual customer and contact; an existing contact with this e-mail or phone "
            "is only recorded as the claimed contact, for a dispatcher to confirm. A new "
            "e-mail address is sent a link to confirm the request. Limited per client "
            "address and hour (setting field_service.web_form_per_hour). A form post "
            "answers an HTML page."
        ),
        "tags": ["field service"],
        "security": [{}],
        "requestBody": {
            "required": True,
            "content": {
                mime: {
                    "schema": {
                        "type": "object",
                        "required": ["name", "subject"],
                        "properties": {
                            **OPENAPI_FIELDS,
                            HONEYPOT: {"type": "string", "description": "leave empty"},
                        },
                    }
                }
                for mime in ("application/json", "application/x-www-form-urlencoded")
            },
        },
        "responses": {
            "201": {
                "description": "The work order was created",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "number": {"type": "string"},
                                "status": {"type": "string"},
                            },
                        }
                    },
                    "text/html": {"schema": {"type": "string"}},
                },
            },
            "202": {"description": "Accepted"},
            "422": {"description": "Invalid fields (errors names them)"},
            "429": {"description": "Too many submissions; see Retry-After"},
            "default": {"$ref": "#/components/responses/Problem"},
        },
    }
}


def register(context) -> None:
    pages = Blueprint("field_service_web_form", __name__, template_folder=str(TEMPLATES))
    pages.add_url_rule("/fs/request", view_func=service_request_page, methods=["GET"])
    context.blueprint(pages)
    context.api_route("/fs/public/work-orders", ["POST"], OPENAPI)(submit_service_request)


def _locale() -> str:
    asked = request.values.get("lang")
    if asked in TEXT:
        return asked
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"], default="en")
    return "zh-CN" if best.startswith("zh") else "en"


def _type_options(s, locale: str) -> list[dict]:
    field = s.compiled.objects["work_order"].fields["type"]
    return [
        {"value": o["value"], "label": localize(o.get("label"), locale) or o["value"]}
        for o in field.spec.get("options", ())
    ]


def _form_context(s, locale: str) -> dict:
    """The type options, and the CSRF token a logged-in browser must post with the form."""
    return {
        "types": _type_options(s, locale),
        "csrf": csrf_token() if s.actor.id is not None else None,
    }


def _page(template: str, status: int, locale: str, headers=None, **context):
    """An HTML answer that loads nothing from elsewhere and cannot be framed."""
    html = render_template(template, t=TEXT[locale], lang=locale, honeypot=HONEYPOT, **context)
    security = {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return html, status, {**security, **(headers or {})}


def service_request_page():
    locale = _locale()
    with api_session(write=False, anonymous=True) as s:
        form = _form_context(s, locale)
    return _page("service_request.html", 200, locale, values={"type": "repair"}, errors={}, **form)


def _is_form() -> bool:
    return request.mimetype in FORM_TYPES


def _submitted(form: bool) -> dict:
    if form:
        return request.form.to_dict()
    if (request.mimetype or "") != "application/json":
        raise BadRequest("send application/json or application/x-www-form-urlencoded")
    return json_body()


def validate(data: dict, types: list[str], text: dict) -> dict:
    """The cleaned submission, or ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for name, (length, required) in FIELDS.items():
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = [text["not_text"]]
            continue
        value = (value or "").strip()
        if required and not value:
            errors[name] = [text["required"]]
        elif len(value) > length:
            errors[name] = [text["too_long"].format(n=length)]
        clean[name] = value or None
    if clean.get("email") and "email" not in errors and not EMAIL.match(clean["email"]):
        errors["email"] = [text["bad_email"]]
    if clean.get("phone") and "phone" not in errors and not PHONE.match(clean["phone"]):
        errors["phone"] = [text["bad_phone"]]
    if not clean.get("phone") and not clean.get("email"):
        for name in ("phone", "email"):
            errors.setdefault(name, [text["phone_or_email"]])
    if clean.get("type") and clean["type"] not in types:
        errors["type"] = [text["bad_type"]]
    if errors:
        raise ValidationError(errors)
    return clean


def _create(s, clean: dict) -> dict:
    """The work order of a submission, never on an existing contact on the submitter's word."""
    system = s.as_system()
    email, phone = clean["email"], clean["phone"]
    claimed = find_contact(system, email, phone)
    # The new contact keeps only details no other contact has.
    own_email = email if email and find_contact(system, email, None) is None else None
    own_phone = phone if phone and find_contact(system, None, phone) is None else None
    customer, contact = create_customer(
        system, clean["name"], own_email, own_phone, clean["address"], unverified=True
    )
    values = {
        "subject": clean["subject"],
        "description": clean["description"],
        "channel": "web",
        "type": clean["type"] or "repair",
        "customer": customer,
        "contact": contact,
        "site": site_for(system, customer, contact, clean["address"], clean["district"]),
        "contact_name": clean["name"],
        "requester_verified": False,
        "claimed_contact": claimed["id"] if claimed else None,
    }
    # What the requester gave for this request, even when the contact on file differs.
    values.update({f"contact_{k}": clean[k] for k in ("phone", "email") if clean[k]})
    work_order = system.records.create("work_order", values)
    if claimed is None and email:
        send_confirmation(system, work_order, email)
    return work_order


def submit_service_request():
    form = _is_form()
    data = _submitted(form)
    locale = _locale()
    text = TEXT[locale]
    with api_session(write=False, anonymous=True) as s:
        tenant = s.tenant
        limit = get_setting(s, "field_service.web_form_per_hour")
        page = _form_context(s, locale)
    types = page["types"]
    try:
        rate_limit(tenant, BUCKET, client_address(), limit=limit, window_seconds=3600)
    except TooManyRequests as exc:
        if not form:
            raise
        return _page(
            "service_request.html",
            429,
            locale,
            {"Retry-After": str(exc.retry_after)},
            values=data,
            errors={},
            notice=text["too_many"],
            **page,
        )
    if data.get(HONEYPOT):
        if form:
            return _page("service_request_thanks.html", 202, locale, number=None)
        return jsonify({"status": "received"}), 202
    try:
        clean = validate(data, [t["value"] for t in types], text)
    except ValidationError as exc:
        if not form:
            raise
        return _page(
            "service_request.html",
            422,
            locale,
            values=data,
            errors=exc.errors,
            notice=text["errors"],
            **page,
        )
    with api_session(anonymous=True) as s:
        work_order = _create(s, clean)
    if form:
        return _page("service_request_thanks.html", 201, locale, number=work_order["number"])
    return jsonify({"number": work_order["number"], "status": work_order["status"]}), 201
