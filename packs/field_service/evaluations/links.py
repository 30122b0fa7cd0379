"""Customer evaluations through signed, expiring links.

Completing a work order with a contact e-mail (and a verified requester, see
``channels.requesters``) makes the ``evaluation_invitation`` automation enqueue
``field_service.evaluation_invitation``: it e-mails the contact a link
valid for ``field_service.evaluation_link_days`` days. The customer rates each dimension
of ``field_service.evaluation_dimensions`` (1-5) on the page ``/fs/evaluate/<token>``, or an
app uses ``/api/v1/fs/evaluations/<token>``. One evaluation is kept per work order; its
mean becomes the work order's rating (also for evaluations taken by phone).
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request

from packs.field_service.public_pages import error_text, local_when, page_language
from plinth.toolkit import (
    ANONYMOUS,
    Conflict,
    Filter,
    ListQuery,
    NotFound,
    PermissionDenied,
    PlinthError,
    ValidationError,
    api_session,
    client_address,
    current_tenant,
    get_setting,
    json_body,
    json_props,
    path_param,
    rate_limit,
    read_link,
    request_body,
    sign_link,
)

PURPOSE = "evaluation"
JOB = "field_service.evaluation_invitation"
POSTS_PER_HOUR = 20
MAX_COMMENT = 2000
CENT = decimal.Decimal("0.01")
TAG = ["field service"]
TOKEN = [path_param("token", {"type": "string"})]
LINK_ERRORS = {
    "403": {"description": "The link is forged or for another purpose"},
    "404": {"description": "The work order no longer exists"},
    "410": {"description": "The link has expired"},
}
OPENAPI = {
    "get": {
        "summary": "What a customer's evaluation link is about (no authentication)",
        "tags": TAG,
        "security": [{}],
        "parameters": TOKEN,
        "responses": {
            "200": {
                "description": "The work order, the dimensions to rate, the link's expiry and "
                "whether it was used"
            },
            **LINK_ERRORS,
        },
    },
    "post": {
        "summary": "Submit the customer's evaluation (once per work order; no authentication)",
        "tags": TAG,
        "security": [{}],
        "parameters": TOKEN,
        "requestBody": request_body(
            {
                "type": "object",
                "required": ["ratings"],
                "properties": {
                    "ratings": {
                        "type": "object",
                        "description": "Every configured dimension rated 1-5",
                        "additionalProperties": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 5,
                        },
                    },
                    "comment": {"type": "string", "maxLength": MAX_COMMENT},
                },
            }
        ),
        "responses": {
            "201": {"description": "The evaluation"},
            "409": {"description": "The work order was already evaluated"},
            "422": {"description": "Ratings missing or out of range (ratings/<dimension>)"},
            "429": {"description": "Too many submissions from this address"},
            **LINK_ERRORS,
        },
    },
}


def register(context) -> None:
    context.jobs.register(JOB, send_invitation, max_attempts=3)
    context.hooks.register("before_save", rate_evaluation, objects=["evaluation"])
    context.hooks.register("after_save", rate_work_order, objects=["evaluation"])
    context.api_route("/fs/evaluations/<token>", ("GET",), {"get": OPENAPI["get"]})(
        evaluation_summary
    )
    context.api_route("/fs/evaluations/<token>", ("POST",), {"post": OPENAPI["post"]})(
        evaluation_submit
    )
    pages = Blueprint(
        "field_service_evaluation",
        __name__,
        template_folder=str(Path(__file__).parent / "templates"),
    )
    pages.add_url_rule("/fs/evaluate/<token>", view_func=evaluation_page, methods=["GET", "POST"])
    context.blueprint(pages)


# ---- the invitation ---------------------------------------------------------------------


def send_invitation(job) -> None:
    """E-mail the contact a signed link, once per work order (skipped when already sent)."""
    session = job.session
    try:
        work_order = session.records.lock("work_order", job.payload["work_order"])
    except NotFound:
        return
    if work_order.get("evaluation_sent_at") or not work_order.get("contact_email"):
        return
    if work_order.get("requester_verified") is False:
        return  # an unverified web requester's address may be someone else's
    tenant = session.tenant
    days = get_setting(session, "field_service.evaluation_link_days")
    token = sign_link(tenant, PURPOSE, {"wo": work_order["id"]}, dt.timedelta(days=days))
    url = f"{tenant.config['PUBLIC_URL'].rstrip('/')}/fs/evaluate/{token}"
    _, expires = read_link(tenant, PURPOSE, token)
    tenant.jobs.enqueue(
        session,
        "rules.email",
        {
            "to": work_order["contact_email"],
            "subject": f"How did we do? {work_order['number']} / 请评价我们的服务",
            "body": _invitation_text(work_order, url, local_when(expires, tenant)),
        },
        key=f"field_service.evaluation:{work_order['id']}",
    )
    session.records.update("work_order", work_order["id"], {"evaluation_sent_at": tenant.clock()})


def _invitation_text(work_order: dict, url: str, until: str) -> str:
    number, subject = work_order["number"], work_order.get("subject") or ""
    name = work_order.get("contact_name") or ""
    return (
        f"Hello {name},\n\n"
        f"Work order {number} ({subject}) is complete. Please tell us how we did:\n"
        f"{url}\n\nThe link works until {until}.\n\n"
        f"{name}您好：\n\n"
        f"工单 {number}（{subject}）已完工，请通过以下链接评价我们的服务：\n"
        f"{url}\n\n链接有效期至 {until}。\n"
    )


# ---- rating rules (every evaluation, by link or by phone) -------------------------------


def dimensions(session) -> list[str]:
    return list(get_setting(session, "field_service.evaluation_dimensions"))


def checked_ratings(ratings, wanted: list[str]) -> dict[str, int]:
    """Every dimension rated with a whole number 1-5, and nothing else; 422 naming
    ``ratings/<dimension>``."""
    if not wanted:
        raise ValidationError.single("ratings", "no evaluation dimensions are configured")
    if not isinstance(ratings, dict):
        raise ValidationError.single("ratings", "must map each dimension to a rating 1-5")
    errors = {}
    for name in wanted:
        value = ratings.get(name)
        if value is None:
            errors[f"ratings/{name}"] = ["is required"]
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[f"ratings/{name}"] = ["must be a whole number from 1 to 5"]
    for name in sorted(set(ratings) - set(wanted)):
        errors[f"ratings/{name}"] = ["is not an evaluation dimension"]
    if errors:
        raise ValidationError(errors)
    return {name: ratings[name] for name in wanted}


def rate_evaluation(event) -> None:
    """Check the ratings and work out the overall rating (their mean, 2 decimals)."""
    values = event.values
    if event.old is not None and "ratings" not in event.changed:
        return
    ratings = checked_ratings(values.get("ratings"), dimensions(event.session))
    mean = decimal.Decimal(sum(ratings.values())) / len(ratings)
    values["ratings"] = ratings
    values["overall"] = mean.quantize(CENT, decimal.ROUND_HALF_UP)


def rate_work_order(event) -> None:
    if event.old is None or "overall" in event.changed:
        event.session.as_system().records.update(
            "work_order", event.values["work_order"], {"rating": event.values["overall"]}
        )


# ---- the link: what it shows, what it stores -------------------------------------------


def _open_link(session, token: str) -> tuple[dict, dt.datetime]:
    payload, expires = read_link(session.tenant, PURPOSE, token)
    work_order_id = payload.get("wo") if isinstance(payload, dict) else None
    if not isinstance(work_order_id, int):
        raise PermissionDenied("the link is not valid")
    fields = ["id", "number", "subject", "completed_at"]
    return session.as_system().records.get("work_order", work_order_id, fields), expires


def _evaluated(system, work_order_id: int) -> bool:
    query = ListQuery([Filter("work_order", "eq", work_order_id)])
    return system.records.count("evaluation", query) > 0


def _engineers(system, work_order_id: int) -> str | None:
    query = ListQuery([Filter("work_order", "eq", work_order_id)], ["id"], 100)
    tasks = system.records.list("field_task", query).data
    ids = list(dict.fromkeys(t["assigned_resource"] for t in tasks if t.get("assigned_resource")))
    names = {r["id"]: r["name"] for r in system.records.get_many("service_resource", ids)}
    return ", ".join(names[i] for i in ids if i in names) or None


def summary(session, token: str) -> dict:
    """The work order behind a link, the dimensions to rate, and whether it was used."""
    work_order, expires = _open_link(session, token)
    system = session.as_system()
    return {
        "work_order": {
            "number": work_order["number"],
            "subject": work_order["subject"],
            "completed_at": work_order["completed_at"],
            "engineer": _engineers(system, work_order["id"]),
        },
        "dimensions": dimensions(session),
        "expires_at": expires,
        "submitted": _evaluated(system, work_order["id"]),
    }


def submit(session, token: str, ratings, comment) -> dict:
    """Store the evaluation of the link's work order; 409 when it already has one."""
    work_order, _ = _open_link(session, token)
    if comment is not None and not isinstance(comment, str):
        raise ValidationError.single("comment", "must be text")
    if comment and len(comment) > MAX_COMMENT:
        raise ValidationError.single("comment", f"must be at most {MAX_COMMENT} characters")
    system = session.as_system()
    system.records.lock("work_order", work_order["id"])  # one submission at a time
    if _evaluated(system, work_order["id"]):
        raise Conflict("this work order has already been evaluated; thank you")
    values = {"work_order": work_order["id"], "ratings": ratings, "channel": "link"}
    if comment and comment.strip():
        values["comment"] = comment.strip()
    return system.records.create("evaluation", values)


def _count_submission() -> None:
    rate_limit(current_tenant(), "fs.evaluation", client_address(), POSTS_PER_HOUR, 3600)


def evaluation_summary(token: str):
    with api_session(anonymous=True) as s:
        return jsonify(summary(s, token))


def evaluation_submit(token: str):
    _count_submission()
    body = json_body()
    with api_session(anonymous=True) as s:
        evaluation = submit(s, token, body.get("ratings"), body.get("comment"))
    response = jsonify(evaluation)
    response.status_code = 201
    return response


# ---- the HTML page ------------------------------------------------------------------------

DIMENSION_LABELS = {
    "punctuality": {"en": "Punctuality", "zh-CN": "准时"},
    "professionalism": {"en": "Professionalism", "zh-CN": "专业水平"},
    "quality": {"en": "Quality of work", "zh-CN": "服务质量"},
}
TEXTS = {
    "en": {
        "title": "How did we do?",
        "intro": "Please rate the service of work order",
        "engineer": "Engineer",
        "completed": "Completed",
        "comment": "Anything else you would like to tell us? (optional)",
        "send": "Send my evaluation",
        "until": "This link works until",
        "pick": "Please pick 1 to 5 stars.",
        "thanks": "Thank you for your evaluation!",
        "already": "This work order has already been evaluated. Thank you!",
        "forbidden": "This link is not valid. Please use the link from our e-mail.",
        "expired": "This link has expired. Please contact us if you would still like to "
        "tell us how we did.",
        "missing": "We could not find this work order.",
        "busy": "Too many attempts from your address. Please try again later.",
        "failed": "Something went wrong. Please try again later.",
    },
    "zh-CN": {
        "title": "请评价我们的服务",
        "intro": "请为以下工单的服务打分",
        "engineer": "服务工程师",
        "completed": "完工时间",
        "comment": "还有什么想告诉我们的吗？（选填）",
        "send": "提交评价",
        "until": "链接有效期至",
        "pick": "请选择 1 到 5 颗星。",
        "thanks": "感谢您的评价！",
        "already": "该工单已评价过，谢谢！",
        "forbidden": "链接无效，请使用邮件中的链接。",
        "expired": "链接已过期。如仍想评价，请与我们联系。",
        "missing": "找不到该工单。",
        "busy": "提交次数过多，请稍后再试。",
        "failed": "出错了，请稍后再试。",
    },
}


def _label(name: str, lang: str) -> str:
    label = DIMENSION_LABELS.get(name)
    return label[lang] if label else name.replace("_", " ").capitalize()


def _form_rating(text: str):
    """A form's rating as a number when it is one (int() of 5000 digits raises), else the
    text for ``checked_ratings`` to refuse."""
    number = json_props.int_from_text(text, 0, json_props.MAX_ID)
    if number is None:
        return text or None
    return number


def evaluation_page(token: str):
    """The customer's form (GET), and its submission (POST, the same rules as the API)."""
    lang = page_language()
    texts = TEXTS[lang]
    tenant = current_tenant()
    anonymous = ANONYMOUS
    chosen: dict = {}
    errors: dict = {}
    try:
        if request.method == "POST":
            _count_submission()
            try:
                with tenant.session(anonymous) as s:
                    chosen = {n: request.form.get(f"rating_{n}", "") for n in dimensions(s)}
                    ratings = {n: _form_rating(v) for n, v in chosen.items()}
                    submit(s, token, ratings, request.form.get("comment"))
                return _done(texts["thanks"], lang, 200)
            except ValidationError as exc:
                errors = exc.errors
            except Conflict:
                return _done(texts["already"], lang, 409)
        with tenant.session(anonymous, write=False) as s:
            about = summary(s, token)
    except PlinthError as exc:
        message = error_text(texts, exc.status)
        return render_template("evaluation.html", t=texts, lang=lang, error=message), exc.status
    if about["submitted"] and not errors:
        return _done(texts["already"], lang, 200)
    rows = [
        {
            "name": name,
            "label": _label(name, lang),
            "chosen": str(chosen.get(name) or ""),
            "error": texts["pick"] if f"ratings/{name}" in errors else None,
        }
        for name in about["dimensions"]
    ]
    page = render_template(
        "evaluation.html",
        t=texts,
        lang=lang,
        error=None,
        work_order=about["work_order"],
        completed=local_when(about["work_order"]["completed_at"], tenant),
        until=local_when(about["expires_at"], tenant),
        dimensions=rows,
        comment=request.form.get("comment", "") if request.method == "POST" else "",
        comment_error="; ".join(errors.get("comment", [])),
        action=f"{request.path}?lang={lang}",
    )
    return page, 422 if errors else 200


def _done(message: str, lang: str, status: int):
    return render_template("evaluation_done.html", t=TEXTS[lang], lang=lang, message=message), (
        status
    )
