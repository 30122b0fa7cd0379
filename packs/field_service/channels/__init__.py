"""Where work orders come from besides the API: the public web form (with the verification
of its requesters) and inbound e-mail."""

from __future__ import annotations

from packs.field_service.channels import email_ingest, requesters, web_form


def register(context) -> None:
    requesters.register(context)
    web_form.register(context)
    email_ingest.register(context)
