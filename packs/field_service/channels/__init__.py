"""Where work orders come from besides the API: the public web form and inbound e-mail."""

from __future__ import annotations

from packs.field_service.channels import email_ingest, web_form


def register(context) -> None:
    web_form.register(context)
    email_ingest.register(context)
