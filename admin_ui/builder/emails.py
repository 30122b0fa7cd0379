"""The local e-mail outbox under ``/admin/emails``: the e-mails kept while no SMTP server is
configured (``PLINTH_SMTP_HOST``), newest first, with their links clickable."""

from __future__ import annotations

import re

from flask import render_template, request
from markupsafe import Markup, escape

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from plinth.rules import email_outbox

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]}>。，；：！？）】"


def linkify(text: str | None) -> Markup:
    """Plain text, escaped, with its http(s) addresses as links opening in a new tab."""
    text, parts, last = text or "", [], 0
    for found in URL.finditer(text):
        url = found.group(0).rstrip(TRAILING)
        parts.append(escape(text[last : found.start()]))
        parts.append(
            Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>').format(url)
        )
        last = found.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@builder.get("/emails")
def email_list() -> str:
    before = request.args.get("before", type=int)
    with admin_session() as s:
        emails, older = email_outbox.newest(s.conn, email_outbox.PAGE_SIZE, before)
        total = email_outbox.count(s.conn)
        smtp = bool(s.tenant.config["SMTP_HOST"])
    return render_template(
        "admin/emails.html",
        emails=emails,
        older=older,
        before=before,
        total=total,
        smtp=smtp,
        linkify=linkify,
    )
