"""What the pack's public pages (evaluation, request confirmation) share: the visitor's
language, times in the instance's zone, and which text explains a refused link."""

from __future__ import annotations

import datetime as dt

from flask import request

# A refused link's status → the key of its text in a page's TEXTS (else "failed").
ERROR_TEXTS = {403: "forbidden", 404: "missing", 410: "expired", 429: "busy"}


def page_language() -> str:
    """``en`` or ``zh-CN``: ``?lang=`` first, then the browser's languages."""
    asked = request.args.get("lang") or request.accept_languages.best_match(
        ["en", "zh-CN", "zh"], default="en"
    )
    return "zh-CN" if asked.lower().startswith("zh") else "en"


def local_when(instant: dt.datetime | None, tenant) -> str:
    """An instant as ``YYYY-MM-DD HH:MM`` in the instance's time zone ('' for None)."""
    return instant.astimezone(tenant.zone).strftime("%Y-%m-%d %H:%M") if instant else ""


def error_text(texts: dict[str, str], status: int) -> str:
    return texts[ERROR_TEXTS.get(status, "failed")]
