"""``GET /api/v1/fs/my/app``: what the engineer app needs to start, in one answer.

Who is signed in (language, time zone), their service resource and bag, the settings the
app uses (check-in radius, average speed), and the field task workflow as the caller may
fire it: each transition with its states, label, what it requires and how the app gathers
it (a GPS fix for a geo field, with its accuracy field; a typed answer for a text
field or a required comment; the rest must already be on the record, such as the
signature). The app keeps the answer offline, so it can show the next step of a task and
queue it while there is no network; the server still decides when the step is sent.
"""

from __future__ import annotations

from typing import Any

from packs.field_service.resources.acting import resource_of_user
from plinth.toolkit import (
    Filter,
    ListQuery,
    answer,
    api_session,
    get_settings,
    localize,
    schemas,
)

OBJECT = "field_task"
# Fields of a field task the app shows or edits besides those a transition requires.
APP_FIELDS = (
    "status",
    "notes",
    "resolution",
    "customer_signature",
    "photos",
    "parts_note",
    "no_parts_used",
    "arrival_location",
    "arrival_accuracy",
)
TEXT_TYPES = frozenset({"text", "textarea"})
SETTINGS = ("check_in_radius_m", "average_speed_kmh", "require_check_in")
TAG = ["field service"]


class EngineerAppPerson(schemas.Answer):
    id = schemas.Whole(required=True)
    name = schemas.Text(required=True)
    locale = schemas.Text(required=True)
    time_zone = schemas.Text(required=True)
    roles = schemas.ListOf(schemas.Text(), required=True)


class EngineerAppPlace(schemas.Answer):
    id = schemas.Whole(required=True)
    name = schemas.Text(required=True, allow_none=True)


class EngineerAppGeo(schemas.Answer):
    field = schemas.Text(required=True, metadata={"description": "a geo field: {lat, lng}"})
    accuracy = schemas.Text(
        required=True, allow_none=True, metadata={"description": "the field for metres"}
    )


class EngineerAppPrompt(schemas.Answer):
    field = schemas.Text(required=True, metadata={"description": "a field, or `comment`"})
    label = schemas.Text(required=True)


class EngineerAppTransition(schemas.Answer):
    name = schemas.Text(required=True)
    label = schemas.Text(required=True)
    from_states = schemas.ListOf(schemas.Text(), required=True, data_key="from")
    to = schemas.Text(required=True)
    require = schemas.ListOf(schemas.Text(), required=True)
    comment_required = schemas.Flag(required=True)
    conditional = schemas.Flag(
        required=True, metadata={"description": "the server may refuse it on a condition"}
    )
    condition_message = schemas.Text(required=True, allow_none=True)
    geo = schemas.ListOf(schemas.Nested(EngineerAppGeo), required=True)
    prompts = schemas.ListOf(schemas.Nested(EngineerAppPrompt), required=True)
    on_record = schemas.ListOf(
        schemas.Text(), required=True, metadata={"description": "required fields set beforehand"}
    )


class EngineerAppState(schemas.Answer):
    name = schemas.Text(required=True)
    label = schemas.Text(required=True)
    category = schemas.Text(required=True, allow_none=True)


class EngineerAppWorkflow(schemas.Answer):
    name = schemas.Text(required=True)
    field = schemas.Text(required=True)
    states = schemas.ListOf(schemas.Nested(EngineerAppState), required=True)
    transitions = schemas.ListOf(schemas.Nested(EngineerAppTransition), required=True)


class EngineerAppStart(schemas.Answer):
    """What the engineer app needs to start."""

    user = schemas.Nested(EngineerAppPerson, required=True)
    resource = schemas.Nested(EngineerAppPlace, required=True, allow_none=True)
    bag = schemas.Nested(EngineerAppPlace, required=True, allow_none=True)
    settings = schemas.Object(required=True)
    workflow = schemas.Nested(EngineerAppWorkflow, required=True, allow_none=True)
    fields = schemas.Object(
        required=True, metadata={"description": "field task fields the app uses: label, type"}
    )


APP_START_OPENAPI = {
    "get": {
        "summary": "What the engineer app needs to start: you, your resource and bag, the "
        "field task workflow as you may fire it, and the settings it uses",
        "tags": TAG,
        "responses": {
            "200": {
                "description": "The start-up data",
                "content": {"application/json": {"schema": EngineerAppStart}},
            }
        },
    }
}


def register(context) -> None:
    context.api_route("/fs/my/app", openapi=APP_START_OPENAPI)(app_start)


def app_start() -> Any:
    with api_session(write=False) as s:
        actor = s.actor
        locale = actor.locale
        resource = resource_of_user(s, actor.id)
        model = s.compiled.object(OBJECT)
        workflow = field_task_workflow(s, model, locale)
        wanted = set(APP_FIELDS)
        for transition in (workflow or {}).get("transitions", ()):
            wanted.update(transition["require"])
        return answer(
            EngineerAppStart,
            {
                "user": {
                    "id": actor.id,
                    "name": actor.label,
                    "locale": locale,
                    "time_zone": actor.time_zone,
                    "roles": sorted(actor.roles),
                },
                "resource": _place(resource),
                "bag": _place(bag_of(s, resource)),
                "settings": settings_of(s),
                "workflow": workflow,
                "fields": {
                    name: {"label": _label(field, locale), "type": field.type.name}
                    for name, field in model.fields.items()
                    if name in wanted
                },
            },
        )


def settings_of(session) -> dict[str, Any]:
    """The settings the app uses, by their name without the pack's prefix (one query)."""
    values = get_settings(session, [f"field_service.{name}" for name in SETTINGS])
    return {name: values[f"field_service.{name}"] for name in SETTINGS}


def _place(record: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None else {"id": record["id"], "name": record.get("name")}


def _label(field, locale: str) -> str:
    return localize(field.spec.get("label"), locale) or field.name


def bag_of(session, resource: dict[str, Any] | None) -> dict[str, Any] | None:
    """The bag (stock location of kind bag) the resource carries, if any."""
    if resource is None:
        return None
    bags = session.records.list(
        "stock_location",
        ListQuery(
            [Filter("resource", "eq", resource["id"]), Filter("kind", "eq", "bag")],
            ["id"],
            1,
        ),
    ).data
    return bags[0] if bags else None


def may_fire(actor, transition: dict[str, Any]) -> bool:
    """The role check of a transition (admins may fire anything)."""
    roles = set(transition.get("roles") or ())
    return not roles or actor.is_admin or bool(roles & set(actor.roles))


def field_task_workflow(session, model, locale: str) -> dict[str, Any] | None:
    """The field task workflow with the transitions the session's actor may fire."""
    document = next(
        (d for d in session.compiled.docs("workflows").values() if d.get("object") == OBJECT),
        None,
    )
    if document is None:
        return None
    states = [
        {
            "name": state["name"],
            "label": localize(state.get("label"), locale) or state["name"],
            "category": state.get("category"),
        }
        for state in document.get("states", ())
    ]
    transitions = [
        describe_transition(t, model, locale)
        for t in document.get("transitions", ())
        if may_fire(session.actor, t)
    ]
    return {
        "name": document["name"],
        "field": document["field"],
        "states": states,
        "transitions": transitions,
    }


def describe_transition(transition: dict[str, Any], model, locale: str) -> dict[str, Any]:
    """A transition as the app uses it: how each required value is gathered."""
    label = localize(transition.get("label"), locale) or transition["name"]
    geo, prompts, on_record = [], [], []
    for name in transition.get("require", ()):
        field = model.fields.get(name)
        kind = field.type.name if field is not None else None
        if kind == "geo":
            geo.append({"field": name, "accuracy": accuracy_field(model, name)})
        elif kind in TEXT_TYPES:
            prompts.append({"field": name, "label": _label(field, locale)})
        else:
            on_record.append(name)
    if transition.get("comment_required"):
        prompts.append({"field": "comment", "label": label})
    sources = transition.get("from")
    return {
        "name": transition["name"],
        "label": label,
        "from_states": [sources] if isinstance(sources, str) else list(sources or ()),
        "to": transition["to"],
        "require": list(transition.get("require", ())),
        "comment_required": bool(transition.get("comment_required")),
        "conditional": bool(transition.get("condition")),
        "condition_message": localize(transition.get("condition_message"), locale) or None,
        "geo": geo,
        "prompts": prompts,
        "on_record": on_record,
    }


def accuracy_field(model, geo_field: str) -> str | None:
    """The number field that holds a geo field's accuracy in metres: the geo field's
    ``accuracy_field``, else one named like it (``arrival_location`` → ``arrival_accuracy``
    or ``arrival_location_accuracy``)."""
    declared = model.fields[geo_field].spec.get("accuracy_field")
    stem = geo_field.removesuffix("_location")
    for name in (declared, f"{stem}_accuracy", f"{geo_field}_accuracy"):
        field = model.fields.get(name) if name else None
        if field is not None and field.type.name in ("decimal", "integer", "number"):
            return name
    return None
