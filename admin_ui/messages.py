"""The server's messages in the user's language, naming fields by their labels.

The engine's messages are English (the API answers them as they are). Those with arguments
are ``plinth.i18n.Message`` strings that keep their template and arguments; a page looks the
template up here and fills in the arguments in the user's language: a label of the
metadata, or a ``Named`` thing (an object, a state, a role, a transition) by its label. A
message not listed here is shown as the server wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_ui.i18n import babel_name, current_locale, field_label, label
from plinth.errors import PlinthError, ValidationError
from plinth.i18n import Message, Named
from plinth.runtime.model import ObjectModel

SAID: dict[str, Any] = {  # template -> its translation (a lazy string)
    # a record's fields (plinth/runtime/record_values.py, record_integrity.py)
    "is required": _l("is required"),
    "unknown field": _l("unknown field"),
    "is set by the system": _l("is set by the system"),
    "is read-only ({type})": _l("is read-only ({type})"),
    "is read-only": _l("is read-only"),
    "is read-only for you": _l("is read-only for you"),
    "must be unique: another record has this value": _l(
        "must be unique: another record has this value"
    ),
    "must be unique together with {fields}": _l("must be unique together with {fields}"),
    "no {object} with id {id}": _l("no {object} with id {id}"),
    "no active user with id {id}": _l("no active user with id {id}"),
    "no file with id {id}": _l("no file with id {id}"),
    "you may not {action} {object} records": _l("you may not {action} {object} records"),
    "{object} {id} is at version {version}, not {expected}: it was changed since you read it": _l(
        "{object} {id} is at version {version}, not {expected}: it was changed since you read it"
    ),
    "{object} {id} was changed by someone else meanwhile": _l(
        "{object} {id} was changed by someone else meanwhile"
    ),
    # workflows (plinth/workflow/transitions.py, approvals.py)
    "is required to {action}": _l("is required to {action}"),
    "{action} is not possible now: {reason}": _l("{action} is not possible now: {reason}"),
    "its condition does not hold": _l("its condition does not hold"),
    "only {roles} may {action}": _l("only {roles} may {action}"),
    "{object} {id} is {state}: {transition} is not possible from there": _l(
        "{object} {id} is {state}: {transition} is not possible from there"
    ),
    "is set by the transition": _l("is set by the transition"),
    "is required to reject": _l("is required to reject"),
    # when a step happened (plinth/workflow/step_time.py)
    "is later than the server's time ({now}): check the device's clock": _l(
        "is later than the server's time ({now}): check the device's clock"
    ),
    "is more than {hours} hours ago": _l("is more than {hours} hours ago"),
    "is before the record's last step ({at})": _l("is before the record's last step ({at})"),
    # field types (plinth/runtime/field_types/)
    "is not a valid {type} value": _l("is not a valid {type} value"),
    "must be true or false": _l("must be true or false"),
    "must be one of the field's options": _l("must be one of the field's options"),
    "{value} is not an option (allowed: {allowed})": _l(
        "{value} is not an option (allowed: {allowed})"
    ),
    "{value} is not an option": _l("{value} is not an option"),
    "must be a list of options": _l("must be a list of options"),
    "lists an option more than once": _l("lists an option more than once"),
    "allows at most {limit} options": _l("allows at most {limit} options"),
    'must be an object like {"lat": 31.23, "lng": 121.47}': _l(
        'must be an object like {"lat": 31.23, "lng": 121.47}'
    ),
    "{axis} must be a number": _l("{axis} must be a number"),
    "{axis} must be a finite number": _l("{axis} must be a finite number"),
    "lat must be between -90 and 90": _l("lat must be between -90 and 90"),
    "lng must be between -180 and 180": _l("lng must be between -180 and 180"),
    "within takes min_lat,min_lng,max_lat,max_lng": _l(
        "within takes min_lat,min_lng,max_lat,max_lng"
    ),
    "within: box corners are out of range or reversed": _l(
        "within: box corners are out of range or reversed"
    ),
    "must be at least {low}": _l("must be at least {low}"),
    "must be at most {high}": _l("must be at most {high}"),
    "must be a whole number": _l("must be a whole number"),
    "must be a number": _l("must be a number"),
    "must be a finite number": _l("must be a finite number"),
    "expected a whole number, got a boolean": _l("expected a whole number, got a boolean"),
    "expected a number, got a boolean": _l("expected a number, got a boolean"),
    "has more than {digits} digits before the decimal point": _l(
        "has more than {digits} digits before the decimal point"
    ),
    "has more than {scale} decimal places": _l("has more than {scale} decimal places"),
    "must be a number of minutes or a duration like 1h30m": _l(
        "must be a number of minutes or a duration like 1h30m"
    ),
    "must not be negative": _l("must not be negative"),
    "is out of range": _l("is out of range"),
    "a duration only fits a duration field": _l("a duration only fits a duration field"),
    "must not contain NUL characters": _l("must not contain NUL characters"),
    "is longer than {limit} characters": _l("is longer than {limit} characters"),
    "does not match the pattern {pattern}": _l("does not match the pattern {pattern}"),
    "is not a valid email address": _l("is not a valid email address"),
    "is not a valid phone number": _l("is not a valid phone number"),
    "is not a valid http(s) URL": _l("is not a valid http(s) URL"),
    "expected a date (YYYY-MM-DD), got a date and time": _l(
        "expected a date (YYYY-MM-DD), got a date and time"
    ),
    "expected a date (YYYY-MM-DD)": _l("expected a date (YYYY-MM-DD)"),
    "is not a valid date (YYYY-MM-DD)": _l("is not a valid date (YYYY-MM-DD)"),
    "expected a date and time (ISO 8601)": _l("expected a date and time (ISO 8601)"),
    "is not a valid date and time (ISO 8601)": _l("is not a valid date and time (ISO 8601)"),
    "expected a time of day (HH:MM or HH:MM:SS)": _l("expected a time of day (HH:MM or HH:MM:SS)"),
    "is not a valid time of day (HH:MM or HH:MM:SS)": _l(
        "is not a valid time of day (HH:MM or HH:MM:SS)"
    ),
    "a time of day takes no time zone": _l("a time of day takes no time zone"),
    "must be a record id (a positive whole number)": _l(
        "must be a record id (a positive whole number)"
    ),
    "must be a file id from the file upload": _l("must be a file id from the file upload"),
    "must be a list of file ids": _l("must be a list of file ids"),
    "holds at most 100 files": _l("holds at most 100 files"),
    "lists a file more than once": _l("lists a file more than once"),
    'must be an object like {"image": "data:image/png;base64,..", "signer": ".."}': _l(
        'must be an object like {"image": "data:image/png;base64,..", "signer": ".."}'
    ),
    "needs an image (a data:image/png;base64 URL)": _l(
        "needs an image (a data:image/png;base64 URL)"
    ),
    "needs the signer's name (1 to 200 characters)": _l(
        "needs the signer's name (1 to 200 characters)"
    ),
    "image must be a data:image/png;base64 or data:image/jpeg;base64 URL": _l(
        "image must be a data:image/png;base64 or data:image/jpeg;base64 URL"
    ),
    "image is larger than 2 MiB": _l("image is larger than 2 MiB"),
    "image is not valid base64": _l("image is not valid base64"),
    "send a new signature image, not a stored signature": _l(
        "send a new signature image, not a stored signature"
    ),
    "a signature cannot be removed; supersede it with a new signature": _l(
        "a signature cannot be removed; supersede it with a new signature"
    ),
    "a signature cannot be edited; send a new image to supersede it": _l(
        "a signature cannot be edited; send a new image to supersede it"
    ),
    # a signature's strokes (plinth/runtime/field_types/signature_strokes.py)
    "width and height describe the strokes: send them with strokes": _l(
        "width and height describe the strokes: send them with strokes"
    ),
    "strokes must be a list of 1 to {limit} strokes": _l(
        "strokes must be a list of 1 to {limit} strokes"
    ),
    "strokes hold more than {limit} points": _l("strokes hold more than {limit} points"),
    "strokes need the pad's {axis} (a number from 1 to {limit})": _l(
        "strokes need the pad's {axis} (a number from 1 to {limit})"
    ),
    "{where} must be a non-empty list of points": _l("{where} must be a non-empty list of points"),
    "{where} must be [x, y] or [x, y, t]": _l("{where} must be [x, y] or [x, y, t]"),
    "{where}: {axis} must be a finite number": _l("{where}: {axis} must be a finite number"),
    "{where}: {axis} must be between 0 and {limit}": _l(
        "{where}: {axis} must be between 0 and {limit}"
    ),
    "expected text": _l("expected text"),
    "must be a JSON value": _l("must be a JSON value"),
    "is larger than 256 KiB": _l("is larger than 256 KiB"),
}


def say_in(text: str, locale: str) -> str:
    """A server message in ``locale`` (the API's translator: ``plinth.api.problems``)."""
    g.ui_locale = locale
    with force_locale(babel_name(locale)):
        return say(text)


def say(text: str) -> str:
    """A server message in the user's language (as written when it is not listed)."""
    template = text.template if isinstance(text, Message) else text
    said = SAID.get(template)
    if said is None:
        return str(text)
    args = text.args if isinstance(text, Message) else {}
    if not args:
        return str(said)
    return str(said).format_map({key: _shown(value) for key, value in args.items()})


def _shown(value: Any) -> str:
    if isinstance(value, Message):
        return say(value)
    if isinstance(value, Named):
        return value.shown(current_locale())
    if isinstance(value, Mapping):
        return label(value)
    if isinstance(value, (list, tuple)):
        return str(_(", ")).join(_shown(v) for v in value)
    return str(value)


def name_of(model: ObjectModel | None, key: str) -> str:
    """How a page names the key of an error: a field by its label, the comment as such."""
    if model is not None and key in model.fields:
        return field_label(model.fields[key])
    if key == "comment":
        return str(_("Comment"))
    return key.lstrip("_")


def field_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """An ``errors`` map (field: messages) with every message in the user's language."""
    return {key: [say(m) for m in messages] for key, messages in errors.items()}


def error_lines(model: ObjectModel | None, exc: PlinthError) -> list[str]:
    """What a refusal says, a line per field ("Arrival location: is required to Arrive")."""
    if isinstance(exc, ValidationError) and exc.errors:
        return [
            str(_("%(field)s: %(message)s", field=name_of(model, key), message=_joined(messages)))
            if key
            else _joined(messages)
            for key, messages in exc.errors.items()
        ]
    return [say(exc.detail)]


def _joined(messages: list[str]) -> str:
    return " ".join(say(m) for m in messages)
