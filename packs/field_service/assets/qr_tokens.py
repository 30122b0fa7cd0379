"""Assets get a random QR token on creation: the label on the equipment links to it."""

from __future__ import annotations

import secrets


def register(context) -> None:
    context.hooks.register("before_save", give_qr_token, objects=["asset"])


def give_qr_token(event) -> None:
    if event.old is None and not event.values.get("qr_token"):
        event.values["qr_token"] = secrets.token_urlsafe(18)
