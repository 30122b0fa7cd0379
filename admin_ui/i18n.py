"""The web UI's language and time zone: Flask-Babel, the user's profile and a switch.

The language is, in order: the logged-in user's profile locale (the switch saves it there,
so it follows them to another browser), the one picked with the switch before logging in,
the browser's ``Accept-Language``, English. Metadata labels (``{"en": .., "zh-CN": ..}``)
use the same choice through ``label()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, g, request, session
from flask_babel import Babel

from plinth.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, localize

if TYPE_CHECKING:
    from plinth.auth.actor import Actor
    from plinth.runtime.model import Field, ObjectModel

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
SESSION_KEY = "ui_locale"


def babel_name(locale: str) -> str:
    """Plinth's locale names (``zh-CN``) as Babel spells them (``zh_CN``; Babel expands it
    to ``zh_Hans_CN``, the name of the catalogue's folder)."""
    return locale.replace("-", "_")


def page_actor() -> Actor | None:
    """Who this request acts for: the pages' actor, else the request session's (a pack's
    page run with ``api_session`` shows in its user's language and zone too)."""
    actor: Actor | None = g.get("ui_actor")
    if actor is None:
        actor = getattr(g.get("plinth_session"), "actor", None)
    return actor


def current_locale() -> str:
    """The UI language of this request, as a Plinth locale name (``en``, ``zh-CN``)."""
    cached: str | None = g.get("ui_locale")
    if cached:
        return cached
    actor = page_actor()
    chosen: str | None = actor.locale if actor is not None and actor.id is not None else None
    if chosen not in SUPPORTED_LOCALES:
        chosen = session.get(SESSION_KEY)
    if chosen not in SUPPORTED_LOCALES:
        chosen = request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE
    g.ui_locale = chosen
    return chosen


def current_zone() -> str:
    actor = page_actor()
    return actor.time_zone if actor is not None and actor.id is not None else "UTC"


def label(text: str | Mapping[str, str] | None) -> str:
    """A metadata label in the UI language."""
    return localize(text, current_locale()) or ""


def object_label(model: ObjectModel, plural: bool = False) -> str:
    """An object's (plural) label in the UI language, falling back to its singular label."""
    spec = model.spec
    text = label(spec.get("label_plural")) if plural else ""
    return text or label(spec.get("label")) or model.name.replace("_", " ").capitalize()


def field_label(field: Field) -> str:
    """A field's label in the UI language, or its name made readable."""
    return label(field.spec.get("label")) or field.name.replace("_", " ").capitalize()


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(
        app,
        locale_selector=lambda: babel_name(current_locale()),
        timezone_selector=current_zone,
    )
    app.jinja_env.globals.update(
        label=label,
        object_label=object_label,
        field_label=field_label,
        LANGUAGES=LANGUAGES,
        current_locale=current_locale,
    )
