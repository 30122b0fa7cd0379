"""Bad input is a 400/422 problem naming what was wrong: never a 500, never a traceback.

The first cases came from a fuzzer; the others from looking for their classes: JSON nested
too deeply, numbers out of range or absurdly long, ids beyond 64 bits, a JSON type where
another was expected, NUL characters and non-ASCII digits in query strings.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging

import pytest

from plinth.auth.actor import SYSTEM
from plinth.auth.people import save_team
from plinth.json_input import MAX_DEPTH
from plinth.json_props import MAX_ID
from plinth.metadata.publisher import Publisher, Put
from tests.docs import EVERYTHING, SITE, doc

BIG = 2**64  # beyond BIGINT: an overflow in SQLite and PostgreSQL alike
DEEP = "[" * 5000
RECORDS = "/api/v1/records/everything"
WIDE = {
    "name": "wide",
    "fields": [{"name": "amount", "type": "decimal", "precision": 38, "scale": 0}],
}


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@dataclasses.dataclass
class Case:
    method: str
    path: str
    body: object = None  # a str is sent as it is (JSON text), anything else as JSON
    status: int = 422
    field: str = ""  # named in the problem's errors (or, without errors, its detail)
    anonymous: bool = False


CASES = {
    # -- reported ------------------------------------------------------------------------
    "token: JSON nested 5000 deep": Case("POST", "/api/v1/auth/token", DEEP, 400, "_body", True),
    "a decimal of 40 digits": Case("POST", RECORDS, {"a_decimal": 10**39 + 1}, field="a_decimal"),
    "a duration of 5000 digits": Case(
        "POST", RECORDS, {"a_duration": "1" * 5000 + "m"}, field="a_duration"
    ),
    "me: current_password as a list": Case(
        "PATCH",
        "/api/v1/me",
        {"password": "a new password", "current_password": ["x"]},
        field="current_password",
    ),
    "a multiselect of [{}]": Case("POST", RECORDS, {"a_multiselect": [{}]}, field="a_multiselect"),
    "users: time_zone as an object": Case(
        "POST", "/api/v1/users", {"email": "tz@example.com", "time_zone": {}}, field="time_zone"
    ),
    "teams: member ids beyond 64 bits": Case(
        "PATCH", "/api/v1/teams/{team}", {"members": [BIG]}, field="members"
    ),
    # -- the same classes, found since --------------------------------------------------
    "a currency of 40 digits as text": Case(
        "POST", RECORDS, {"a_currency": "1" * 40}, field="a_currency"
    ),
    "an ISO duration of 5000 digits": Case(
        "POST", RECORDS, {"a_duration": "PT" + "1" * 5000 + "M"}, field="a_duration"
    ),
    "a JSON number of 5000 digits": Case(
        "POST", RECORDS, '{"a_duration": ' + "1" * 5000 + "}", field="a_duration"
    ),
    "a latitude beyond floats": Case(
        "POST", RECORDS, '{"a_geo": {"lat": 1' + "0" * 400 + ', "lng": 1}}', field="a_geo"
    ),
    "a lone surrogate in text": Case(
        "POST", RECORDS, '{"a_textarea": "\\ud800"}', field="a_textarea"
    ),
    "a json value nested too deeply": Case(
        "POST", RECORDS, {"a_json": nested(MAX_DEPTH + 5)}, 400, "a_json"
    ),
    "me: time_zone as a list": Case(
        "PATCH", "/api/v1/me", {"time_zone": ["UTC"]}, field="time_zone"
    ),
    "users: time_zone of 5000 characters": Case(
        "POST",
        "/api/v1/users",
        {"email": "t2@example.com", "time_zone": "A" * 5000},
        field="time_zone",
    ),
    "users: name as a number": Case(
        "POST", "/api/v1/users", {"email": "n@example.com", "name": 5}, field="name"
    ),
    "users: roles [{}]": Case(
        "POST", "/api/v1/users", {"email": "r@example.com", "roles": [{}]}, field="roles"
    ),
    "users: roles [1]": Case(
        "POST", "/api/v1/users", {"email": "r@example.com", "roles": [1]}, field="roles"
    ),
    "users: team ids beyond 64 bits": Case(
        "POST", "/api/v1/users", {"email": "t@example.com", "teams": [BIG]}, field="teams"
    ),
    "users: teams [{}]": Case(
        "POST", "/api/v1/users", {"email": "t@example.com", "teams": [{}]}, field="teams"
    ),
    "users: manager_id beyond 64 bits": Case(
        "POST", "/api/v1/users", {"email": "m@example.com", "manager_id": BIG}, field="manager_id"
    ),
    "users: locale null": Case(
        "POST", "/api/v1/users", {"email": "l@example.com", "locale": None}, field="locale"
    ),
    "user: teams [true]": Case("PATCH", "/api/v1/users/{me}", {"teams": [True]}, field="teams"),
    "tokens: user_id beyond 64 bits": Case(
        "GET", "/api/v1/auth/tokens?user_id=" + "9" * 30, status=400, field="user_id"
    ),
    "users: limit ²": Case("GET", "/api/v1/users?limit=%C2%B2", status=400, field="limit"),
    "users: limit of 5000 digits": Case(
        "GET", "/api/v1/users?limit=" + "9" * 5000, status=400, field="limit"
    ),
    "records: limit ²": Case("GET", RECORDS + "?limit=%C2%B2", status=400, field="limit"),
    "records: limit of 5000 digits": Case(
        "GET", RECORDS + "?limit=" + "1" * 5000, status=400, field="limit"
    ),
    "records: a cursor of JSON nested 5000 deep": Case(
        "GET",
        RECORDS + "?cursor=" + base64.urlsafe_b64encode(DEEP.encode()).decode(),
        status=400,
        field="cursor",
    ),
    "records: a decimal filter of 39 digits": Case(
        "GET", RECORDS + "?a_decimal__gt=" + "1" * 39, status=400, field="a_decimal__gt"
    ),
    "records: NUL in a filter": Case("GET", RECORDS + "?a_text=%00", status=400, field="a_text"),
    "records: NUL in q": Case("GET", RECORDS + "?q=%00", status=400, field="q"),
    "users: NUL in q": Case("GET", "/api/v1/users?q=%00", status=400, field="q"),
    "audit: NUL in event": Case("GET", "/api/v1/audit?event=%00", status=400, field="event"),
    "files: NUL in the path": Case("GET", "/api/v1/files/%00", status=400, field="path"),
    "breaches: an instant with no UTC time": Case(
        "GET",
        "/api/v1/sla/breaches?object=everything&from=9999-12-31T23:59:59-14:00",
        status=400,
        field="from",
    ),
}


@pytest.fixture
def objects(app, admin) -> dict:
    """The site, everything and wide objects; a team; the path parameters of the cases."""
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish([Put("objects", d) for d in (doc(SITE), doc(EVERYTHING), WIDE)])
    with tenant.database.transaction(write=True) as conn:
        team = save_team(conn, SYSTEM, {"name": "night_shift"})["id"]
    return {"team": team, "me": admin["id"]}


def send(api, method: str, path: str, body):
    if isinstance(body, str):
        headers = {"Content-Type": "application/json"}
        return api.request(
            method, path, data=body.encode("utf-8", "surrogatepass"), headers=headers
        )
    return api.request(method, path, json=body)


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_a_problem_naming_the_field(name, objects, as_admin, anonymous, caplog):
    case = CASES[name]
    caplog.set_level(logging.WARNING)
    reply = send(
        anonymous if case.anonymous else as_admin,
        case.method,
        case.path.format(**objects),
        case.body,
    )
    assert reply.status == case.status, reply.json
    problem = reply.problem  # application/problem+json
    assert case.field in problem.get("errors", {}) or case.field in problem["detail"], problem
    assert not [r for r in caplog.records if r.exc_info], "an input error logged a traceback"
    # Refused by the check written for it, not by the field types' safety net.
    assert "did not foresee" not in caplog.text


JUNK = {
    "If-Match junk": ("PATCH", RECORDS + "/1", {"If-Match": "junk"}, 412, "If-Match"),
    "If-Match of 30 digits": (
        "PATCH",
        RECORDS + "/1",
        {"If-Match": f'"{"9" * 30}"'},
        412,
        "If-Match",
    ),
    "cursor junk": ("GET", RECORDS + "?cursor=%%%junk", {}, 400, "cursor"),
    "limit=10**30": ("GET", RECORDS + f"?limit={10**30}", {}, 400, "limit"),
    "sort on an unknown field": ("GET", RECORDS + "?sort=-nope", {}, 400, "sort"),
    "fields unknown": ("GET", RECORDS + "?fields=nope", {}, 400, "fields"),
    "an unknown operator": ("GET", RECORDS + "?an_integer__near=1", {}, 400, "an_integer__near"),
    "isnull junk": ("GET", RECORDS + "?a_text__isnull=maybe", {}, 400, "a_text__isnull"),
    "an integer filter of 30 digits": (
        "GET",
        RECORDS + "?an_integer=" + "9" * 30,
        {},
        400,
        "an_integer",
    ),
    "audit cursor of 30 digits": ("GET", "/api/v1/audit?cursor=" + "9" * 30, {}, 400, "cursor"),
}


@pytest.mark.parametrize("name", JUNK)
def test_query_and_header_junk_is_a_4xx_problem(name, objects, as_admin, caplog):
    method, path, headers, status, where = JUNK[name]
    caplog.set_level(logging.WARNING)
    reply = as_admin.request(
        method, path, json={"a_text": "x"} if method == "PATCH" else None, headers=headers
    )
    assert reply.status == status, reply.json
    problem = reply.problem
    assert where in problem.get("errors", {}) or where in problem["detail"], problem
    assert not [r for r in caplog.records if r.exc_info]


def test_ids_are_bounded_to_64_bits_inclusive(objects, as_admin):
    largest = as_admin.patch(f"/api/v1/teams/{objects['team']}", json={"members": [MAX_ID]})
    assert largest.status == 422, largest.json  # a valid id, looked up: nobody has it
    assert "no user(s)" in largest.problem["errors"]["members"][0]
    claim = as_admin.post(f"{RECORDS}/{'9' * 23}/claim")
    assert claim.status == 404, claim.json  # a path id out of range is simply not found
    assert claim.problem["title"] == "Not found"


def test_numbers_within_the_limits_are_kept(objects, as_admin):
    """A decimal(38) uses all its digits (the default decimal context has only 28), and a
    json value may nest as deep as the limit."""
    amount = 10**37 + 1
    wide = as_admin.post("/api/v1/records/wide", json={"amount": amount})
    assert wide.status == 201, wide.json
    stored = as_admin.get(f"/api/v1/records/wide/{wide.json['id']}?fields=amount")
    assert stored.status == 200 and int(stored.json["amount"]) > 10**36
    deep = as_admin.post(RECORDS, json={"a_json": nested(MAX_DEPTH - 1)})
    assert deep.status == 201, deep.json
    too_deep = as_admin.post(RECORDS, json={"a_json": nested(MAX_DEPTH)})
    assert too_deep.status == 400 and "a_json" in too_deep.problem["errors"]


def test_a_type_that_did_not_foresee_its_input_still_names_the_field(
    objects, as_admin, monkeypatch, caplog
):
    """The safety net of the one coercion door: a TypeError in a field type is a 422 for
    that field, logged as a warning without a traceback."""
    from plinth.runtime.field_types.numbers import IntegerType

    def broken(self, field, value, ctx):
        raise TypeError("unforeseen")

    monkeypatch.setattr(IntegerType, "coerce", broken)
    caplog.set_level(logging.WARNING)
    reply = as_admin.post(RECORDS, json={"an_integer": 3})
    assert reply.status == 422, reply.json
    assert reply.problem["errors"] == {"an_integer": ["is not a valid integer value"]}
    assert "did not foresee" in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


def test_the_json_limits_hold_for_every_parse(app):
    """NaN, Infinity and numbers beyond floats are not JSON numbers a field can hold."""
    from plinth.json_input import JsonInputError, loads

    for text in ('{"x": NaN}', '{"x": Infinity}', '{"x": [1e999]}'):
        with pytest.raises(JsonInputError) as caught:
            loads(text)
        assert caught.value.status == 422 and caught.value.path.startswith("x")
    assert json.dumps(loads('{"x": 1}')) == '{"x": 1}'
