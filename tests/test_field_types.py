"""Coercion of good and bad values for every field type (no database)."""

import datetime as dt
import decimal
from zoneinfo import ZoneInfo

import pytest

from plinth.runtime.field_types import REGISTRY
from plinth.runtime.field_types.base import CoercionContext, FieldError
from plinth.runtime.field_types.signature import PendingSignature
from plinth.runtime.model import Field
from tests.docs import EVERYTHING, PNG_DATA_URL, field

CTX = CoercionContext(time_zone=ZoneInfo("Asia/Shanghai"))


def make(name):
    spec = field(EVERYTHING, name)
    return Field(name, REGISTRY[spec["type"]], spec)


def coerce(name, value):
    f = make(name)
    return f.type.coerce(f, value, CTX)


GOOD = [
    ("a_text", "Hello 42", "Hello 42"),
    ("a_text", 42, "42"),
    ("a_textarea", "line 1\nline 2", "line 1\nline 2"),
    ("an_integer", 7, 7),
    ("an_integer", "-5", -5),
    ("an_integer", 3.0, 3),
    ("a_decimal", "12.5", decimal.Decimal("12.500")),
    ("a_decimal", 0.1, decimal.Decimal("0.100")),
    ("a_currency", 19.99, decimal.Decimal("19.99")),
    ("a_percent", "12.5", decimal.Decimal("12.5000")),
    ("a_boolean", True, True),
    ("a_boolean", "false", False),
    ("a_boolean", 1, True),
    ("a_date", "2026-02-28", dt.date(2026, 2, 28)),
    ("a_datetime", "2026-11-24T09:30:00Z", dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)),
    ("a_datetime", "2026-11-24T09:30:00+08:00", dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)),
    # Naive input is read in the actor's time zone (Asia/Shanghai here).
    ("a_datetime", "2026-11-24 09:30", dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)),
    ("a_time", "08:15", dt.time(8, 15)),
    ("a_duration", 90, 90),
    ("a_duration", "1h30m", 90),
    ("a_duration", "PT2H", 120),
    ("a_duration", "1d", 1440),
    ("an_email", "Li.Wei@Example.COM", "Li.Wei@example.com"),
    ("a_phone", "+86 138 0000 0303", "+86 138 0000 0303"),
    ("a_url", "https://example.com/a?b=c", "https://example.com/a?b=c"),
    ("a_select", "green", "green"),
    ("a_multiselect", ["red", "blue"], ["red", "blue"]),
    ("a_multiselect", [], []),
    ("a_lookup", 5, 5),
    ("a_lookup", "5", 5),
    ("a_lookup", {"id": 5, "name": "expanded"}, 5),
    ("a_user", 3, 3),
    ("a_geo", {"lat": 31.23, "lng": 121.47}, {"lat": 31.23, "lng": 121.47}),
    ("an_attachment", "0" * 32, "0" * 32),
    ("some_attachments", ["a" * 32, "b" * 32], ["a" * 32, "b" * 32]),
    ("a_json", {"nested": [1, 2, {"x": None}]}, {"nested": [1, 2, {"x": None}]}),
]


@pytest.mark.parametrize(("name", "value", "expected"), GOOD)
def test_good_values(name, value, expected):
    assert coerce(name, value) == expected


BAD = [
    ("a_text", "x" * 21, "longer than 20"),
    ("a_text", "no-dashes", "pattern"),
    ("a_text", "nul\x00", "NUL"),
    ("a_text", ["list"], "expected text"),
    ("an_integer", 1.5, "whole number"),
    ("an_integer", "12abc", "whole number"),
    ("an_integer", True, "boolean"),
    ("an_integer", 501, "at most 500"),
    ("an_integer", -6, "at least -5"),
    ("an_integer", 2**70, "out of range"),
    ("a_decimal", "1.2345", "more than 3 decimal places"),
    ("a_decimal", "12345678.9", "more than 7 digits"),
    ("a_decimal", "NaN", "must be a number"),
    ("a_decimal", float("inf"), "finite"),
    ("a_currency", "ten", "must be a number"),
    ("a_boolean", "yes", "true or false"),
    ("a_boolean", 2, "true or false"),
    ("a_date", "2026-02-30", "not a valid date"),
    ("a_date", "2026-11-24T10:00:00", "not a valid date"),
    ("a_datetime", "yesterday", "not a valid date and time"),
    ("a_datetime", 1700000000, "expected a date and time"),
    ("a_time", "25:00", "not a valid time"),
    ("a_time", "10:00+08:00", "no time zone"),
    ("a_duration", -5, "negative"),
    ("a_duration", "forever", "duration like 1h30m"),
    ("a_duration", 10001, "at most 10000"),
    ("an_email", "not-an-email", "valid email"),
    ("an_email", "a@b", "valid email"),
    ("a_phone", "call me", "valid phone"),
    ("a_url", "javascript:alert(1)", "http(s) URL"),
    ("a_url", "ftp://example.com", "http(s) URL"),
    ("a_select", "purple", "not an option"),
    ("a_select", 3, "one of the field's options"),
    ("a_multiselect", "red", "list of options"),
    ("a_multiselect", ["red", "red"], "more than once"),
    ("a_multiselect", ["red", "green", "blue"], "at most 2"),
    ("a_multiselect", ["red", "pink"], "not an option"),
    ("a_lookup", 0, "record id"),
    ("a_lookup", "abc", "record id"),
    ("a_user", -1, "record id"),
    ("a_geo", {"lat": 91, "lng": 0}, "between -90 and 90"),
    ("a_geo", {"lat": 0, "lng": 181}, "between -180 and 180"),
    ("a_geo", {"lat": "31", "lng": 121}, "lat must be a number"),
    ("a_geo", {"lat": 1, "lng": 2, "alt": 3}, "unexpected key"),
    ("a_geo", [31, 121], "must be an object"),
    ("a_signature", {"image": PNG_DATA_URL}, "signer"),
    (
        "a_signature",
        {"image": "data:image/svg+xml;base64,PHN2Zz4=", "signer": "A"},
        "data:image/png",
    ),
    ("a_signature", {"image": "data:image/png;base64,aGVsbG8=", "signer": "A"}, "not a PNG"),
    ("a_signature", "scribble", "must be an object"),
    ("an_attachment", "../../etc/passwd", "file id"),
    ("some_attachments", ["a" * 32, "a" * 32], "more than once"),
    ("a_json", {"bad": {1, 2}}, "JSON value"),
    ("a_json", "x" * (300 * 1024), "256 KiB"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD)
def test_bad_values(name, value, message):
    with pytest.raises(FieldError, match=message.replace("(", r"\(").replace(")", r"\)")):
        coerce(name, value)


def test_signature_becomes_a_pending_file_with_its_signer():
    value = coerce("a_signature", {"image": PNG_DATA_URL, "signer": " Wang Fang "})
    assert isinstance(value, PendingSignature)
    assert value.image.startswith(b"\x89PNG") and value.signer == "Wang Fang"


def test_every_type_is_covered_by_these_tests():
    covered = {make(name).type.name for name, _, _ in GOOD + BAD}
    generated = {"autonumber", "formula"}  # never taken as input: see the record service tests
    assert covered | generated == set(REGISTRY)


def signed(**strokes):
    return {"image": PNG_DATA_URL, "signer": "Wang Fang", **strokes}


PAD = {"width": 390, "height": 180}
LINE = [[10, 20, 0], [30.04, 40.96, 16.4], [389.99, 180]]


def test_signature_strokes_are_kept_compact_and_canonical():
    value = coerce("a_signature", signed(strokes=[LINE, [[5, 5]]], **PAD))
    assert value.strokes is not None
    assert (value.strokes.count, value.strokes.points) == (2, 4)
    assert value.strokes.data == (
        b'{"height":180,"strokes":[[[10,20,0],[30,41,16],[390,180]],[[5,5]]],"width":390}'
    )
    same = coerce("a_signature", signed(strokes=[LINE, [[5.0, 5.0]]], width=390.0, height=180))
    assert same.strokes == value.strokes  # the same strokes are the same bytes
    assert coerce("a_signature", signed()).strokes is None


TOO_MANY_POINTS = [[[1, 1]] * 5000, [[1, 1]] * 5001]

BAD_STROKES = [
    (signed(strokes=[LINE]), "strokes need the pad's width (a number from 1 to 10000)"),
    (signed(strokes=[LINE], width=390, height=0), "pad's height"),
    (signed(strokes=[LINE], width=390, height=float("inf")), "pad's height"),
    (signed(strokes=[LINE], width=10001, height=180), "pad's width"),
    (signed(width=390, height=180), "send them with strokes"),
    (signed(strokes=[], **PAD), "a list of 1 to 500 strokes"),
    (signed(strokes="M 10 20 L 30 40", **PAD), "a list of 1 to 500 strokes"),
    (signed(strokes=[[[1, 1]]] * 501, **PAD), "a list of 1 to 500 strokes"),
    (signed(strokes=TOO_MANY_POINTS, **PAD), "more than 10000 points"),
    (signed(strokes=[LINE, []], **PAD), "strokes[1] must be a non-empty list of points"),
    (signed(strokes=[{"x": 1, "y": 2}], **PAD), "strokes[0] must be a non-empty list"),
    (signed(strokes=[[[1]]], **PAD), "strokes[0][0] must be [x, y] or [x, y, t]"),
    (signed(strokes=[[[1, 2, 3, 4]]], **PAD), "must be [x, y] or [x, y, t]"),
    (signed(strokes=[[{"x": 1, "y": 2}]], **PAD), "must be [x, y] or [x, y, t]"),
    (signed(strokes=[[[1, 2], [float("nan"), 2]]], **PAD), "strokes[0][1]: x must be a finite"),
    (signed(strokes=[[[True, 2]]], **PAD), "strokes[0][0]: x must be a finite number"),
    (signed(strokes=[[[1, "2"]]], **PAD), "strokes[0][0]: y must be a finite number"),
    (signed(strokes=[[[391, 2]]], **PAD), "strokes[0][0]: x must be between 0 and 390"),
    (signed(strokes=[[[1, -0.5]]], **PAD), "strokes[0][0]: y must be between 0 and 180"),
    (signed(strokes=[[[1, 2, -1]]], **PAD), "t must be between 0 and 86400000"),
    (signed(strokes=[[[1, 2, 10**400]]], **PAD), "t must be between 0 and 86400000"),
    (signed(strokes=[[[1, 2]]], width=390, height=180, depth=3), "unexpected key(s): depth"),
]


@pytest.mark.parametrize(("value", "message"), BAD_STROKES)
def test_bad_signature_strokes_are_refused_saying_where(value, message):
    with pytest.raises(FieldError) as refused:
        coerce("a_signature", value)
    assert message in str(refused.value)
