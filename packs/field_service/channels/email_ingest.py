"""E-mail into work orders: ``POST /api/v1/fs/inbound-email`` with a raw RFC 822 message.

For the mail gateway (an administrator's or dispatcher's token). A reply (In-Reply-To or
References naming a stored message, or ``[WO-...]`` in the subject) is added to its work
order, whatever the work order's state; any other message opens a work order (channel
``email``) for the sender's contact. The same Message-ID posted again answers the first
result and stores nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import hashlib
import re
from email.message import EmailMessage
from html.parser import HTMLParser

from flask import current_app, jsonify, request

from packs.field_service.channels.customers import EMAIL, find_or_create
from plinth.toolkit import (
    BadRequest,
    Filter,
    ListQuery,
    PermissionDenied,
    ValidationError,
    api_session,
    check_upload,
)

ACCEPTED_TYPES = ("message/rfc822", "application/octet-stream")
ROLES = frozenset({"dispatcher"})
NUMBER_TAG = re.compile(r"\[(WO-\d{6}-\d{3,})\]", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_REFERENCES = 100
NO_SUBJECT = "(no subject)"
ANSWER = {
    "type": "object",
    "properties": {
        "work_order": {"type": "integer"},
        "number": {"type": "string"},
        "message": {"type": "integer"},
        "threaded": {"type": "boolean", "description": "added to an existing work order"},
        "skipped_attachments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"filename": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}
OPENAPI = {
    "post": {
        "summary": "Ingest an e-mail: open a work order, or thread a reply onto one",
        "description": (
            "For administrators and dispatchers (the mail gateway). Replies are found by "
            "In-Reply-To / References or a [WO-YYYYMM-NNNNN] subject tag. Idempotent by "
            "Message-ID. Attachments of refused types are skipped and listed."
        ),
        "tags": ["field service"],
        "requestBody": {
            "required": True,
            "content": {
                mime: {"schema": {"type": "string", "format": "binary"}} for mime in ACCEPTED_TYPES
            },
        },
        "responses": {
            "201": {
                "description": "Stored (a new work order, or a reply threaded onto one)",
                "content": {"application/json": {"schema": ANSWER}},
            },
            "200": {
                "description": "This Message-ID was already stored: the earlier result",
                "content": {"application/json": {"schema": ANSWER}},
            },
            "403": {"description": "Only administrators and dispatchers may post e-mail"},
            "422": {"description": "Not a usable message (no sender, unreadable)"},
            "default": {"$ref": "#/components/responses/Problem"},
        },
    }
}


def register(context) -> None:
    context.api_route("/fs/inbound-email", ["POST"], OPENAPI)(ingest_email)


@dataclasses.dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclasses.dataclass
class InboundEmail:
    sender: str  # the From header as written
    address: str
    name: str
    subject: str
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    sent_at: dt.datetime | None
    body: str
    attachments: list[Attachment]


class _TextOfHtml(HTMLParser):
    """The visible text of an HTML body (scripts and styles left out)."""

    SKIP = frozenset({"script", "style", "head", "title"})
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return parser.text()


def _content(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):  # unknown or lying charset
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return content if isinstance(content, str) else ""


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):
        return ""
    return " ".join(str(value or "").split())


def _ids(text: str) -> list[str]:
    return MESSAGE_ID.findall(text or "")[:MAX_REFERENCES]


def _sender(message) -> tuple[str, str, str]:
    try:
        header = message.get("From")
        addresses = header.addresses if header is not None else ()
    except (ValueError, TypeError, IndexError, AttributeError):
        addresses = ()
    address = next((a for a in addresses if "@" in (a.addr_spec or "")), None)
    if address is None:
        raise ValidationError.single("From", "the message has no sender address (From header)")
    spec = address.addr_spec.strip()
    if len(spec) > 254 or not EMAIL.match(spec):
        raise ValidationError.single("From", f"{spec[:80]!r} is not a usable e-mail address")
    name = " ".join((address.display_name or "").split()) or spec.split("@", 1)[0]
    return str(header)[:320], spec, name[:100]


def _sent_at(message) -> dt.datetime | None:
    try:
        header = message.get("Date")
        when = getattr(header, "datetime", None)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _body_and_attachments(message) -> tuple[str, list[Attachment]]:
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        body = _content(body_part)
        if body_part.get_content_subtype() == "html":
            body = html_to_text(body)
    attachments = []
    for part in message.walk():
        if part is body_part or part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if not filename and disposition != "attachment":
            continue  # an alternative rendering of the body, not a file
        data = part.get_payload(decode=True) or b""
        name = filename or f"attachment-{len(attachments) + 1}"
        attachments.append(Attachment(name, part.get_content_type(), data))
    return body.strip(), attachments


def parse(raw: bytes) -> InboundEmail:
    """The parts of a message the work order needs; 422 when it has no sender."""
    if not raw.strip():
        raise ValidationError.single("_body", "send the raw RFC 822 message as the body")
    try:
        message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)
        sender, address, name = _sender(message)
        body, attachments = _body_and_attachments(message)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - the parser's many ways to fail on bad input
        raise ValidationError.single("_body", f"the message cannot be read: {exc}") from None
    message_id = next(iter(_ids(_header(message, "Message-ID"))), "")
    if not message_id:  # without one, the exact same bytes still count as the same message
        message_id = f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
    return InboundEmail(
        sender=sender,
        address=address,
        name=name,
        subject=_header(message, "Subject"),
        message_id=message_id[:500],
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        sent_at=_sent_at(message),
        body=body,
        attachments=attachments,
    )


def _find_message(s, message_id: str) -> dict | None:
    rows = s.records.list(
        "work_order_message", ListQuery([Filter("message_id", "eq", message_id)], limit=1)
    ).data
    return rows[0] if rows else None


def _thread(s, mail: InboundEmail) -> dict | None:
    """The work order this message replies to, if any."""
    ids = list(dict.fromkeys(mail.in_reply_to + mail.references))
    if ids:
        known = s.records.list(
            "work_order_message", ListQuery([Filter("message_id", "in", ids)], ["id"], 1)
        ).data
        if known:
            return s.records.get("work_order", known[0]["work_order"])
        started = s.records.list(
            "work_order", ListQuery([Filter("email_thread", "in", ids)], ["id"], 1)
        ).data
        if started:
            return started[0]
    tag = NUMBER_TAG.search(mail.subject)
    if tag:
        tagged = s.records.list(
            "work_order", ListQuery([Filter("number", "eq", tag.group(1).upper())], limit=1)
        ).data
        if tagged:
            return tagged[0]
    return None


def _store_files(s, mail: InboundEmail) -> tuple[list[str], list[dict]]:
    """File ids of the accepted attachments, and what was skipped and why."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    stored, skipped = [], []
    for item in mail.attachments:
        if not item.data:
            skipped.append({"filename": item.filename, "reason": "is empty"})
            continue
        try:
            content_type = check_upload(item.filename, item.content_type, item.data[:512])
            row = s.tenant.files.put(
                s.conn, item.data, item.filename, content_type, s.actor.id, max_bytes=limit
            )
        except ValidationError as exc:
            skipped.append({"filename": item.filename, "reason": exc.detail})
            continue
        stored.append(row["id"])
    return stored, skipped


def _answer(work_order: dict, message: dict, threaded: bool, skipped: list, status: int):
    body = {
        "work_order": work_order["id"],
        "number": work_order["number"],
        "message": message["id"],
        "threaded": threaded,
        "skipped_attachments": skipped,
    }
    return jsonify(body), status


def _received_at(s, mail: InboundEmail) -> dt.datetime:
    now = s.tenant.clock()
    return min(mail.sent_at, now) if mail.sent_at else now


def ingest_email():
    if request.mimetype not in ACCEPTED_TYPES:
        raise BadRequest("send the raw message as message/rfc822 (or application/octet-stream)")
    raw = request.get_data(cache=False)
    with api_session() as s:
        if not (s.actor.is_admin or ROLES & s.actor.roles):
            raise PermissionDenied("only administrators and dispatchers may post e-mail")
        mail = parse(raw)
        system = s.as_system()
        earlier = _find_message(system, mail.message_id)
        if earlier is not None:
            work_order = system.records.get("work_order", earlier["work_order"])
            threaded = work_order.get("email_thread") != mail.message_id
            return _answer(work_order, earlier, threaded, [], 200)
        work_order = _thread(system, mail)
        threaded = work_order is not None
        files, skipped = _store_files(s, mail)
        if work_order is None:
            customer, contact = find_or_create(system, mail.name, email=mail.address)
            work_order = system.records.create(
                "work_order",
                {
                    "subject": (mail.subject or NO_SUBJECT)[:200],
                    "description": mail.body[:10000] or None,
                    "channel": "email",
                    "customer": customer,
                    "contact": contact,
                    "contact_email": mail.address,
                    "email_thread": mail.message_id,
                    "attachments": files or None,
                },
            )
        message = system.records.create(
            "work_order_message",
            {
                "work_order": work_order["id"],
                "direction": "inbound",
                "sender": mail.sender,
                "subject": mail.subject[:500] or None,
                "body": mail.body[:100000] or None,
                "message_id": mail.message_id,
                "in_reply_to": mail.in_reply_to[0][:500] if mail.in_reply_to else None,
                "received_at": _received_at(s, mail),
                "attachments": files or None,
            },
        )
        return _answer(work_order, message, threaded, skipped, 201)
