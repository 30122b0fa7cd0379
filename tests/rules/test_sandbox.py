"""What rules can do: arithmetic, comprehensions, text and date helpers, scripts."""

import datetime as dt
import decimal
from zoneinfo import ZoneInfo

import pytest

from plinth.rules.sandbox import SandboxError, compile_rule, evaluate, execute, rule_problem
from plinth.rules.sandbox.environment import time_helpers
from plinth.rules.sandbox.views import RecordView, WritableRecord


def test_expressions_see_fields_record_and_old():
    scope = {
        "qty": 3,
        "price": decimal.Decimal("2.50"),
        "record": RecordView({"qty": 3}),
        "old": RecordView({"qty": 1}),
    }
    assert evaluate("qty * price", scope) == decimal.Decimal("7.50")
    assert evaluate("record.qty - old.qty", scope) == 2
    assert evaluate("record['qty'] + record.get('missing', 10)", scope) == 13
    assert evaluate("[q * 2 for q in range(qty)]", scope) == [0, 2, 4]
    assert evaluate("sorted({'b': 1, 'a': 2}.items())", scope) == [("a", 2), ("b", 1)]
    assert evaluate("'ACME'.lower().replace('a', 'A', 1)", scope) == "Acme"
    assert evaluate("f'{qty:>4}|{price:.1f}'", scope) == "   3|2.5"
    assert (
        evaluate(
            "math.floor(2.7) + round(distance_km({'lat': 31.2, 'lng': 121.5}, {'lat': 31.2, 'lng': 121.5}))",
            scope,
        )
        == 2
    )
    assert evaluate("coalesce(None, '', 'x') + str(blank('  '))", scope) == "xTrue"


def test_time_helpers_use_the_actors_time_zone():
    clock = lambda: dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.UTC)  # noqa: E731
    helpers = time_helpers(ZoneInfo("Asia/Shanghai"), clock)
    assert evaluate("today()", helpers) == dt.date(2026, 11, 25)  # already tomorrow in Shanghai
    assert evaluate("now() + hours(2)", helpers) == dt.datetime(2026, 11, 24, 20, 30, tzinfo=dt.UTC)
    assert evaluate("days_between(date(2026, 1, 1), date(2026, 3, 1))", helpers) == 59
    assert evaluate("local(now()).hour", helpers) == 2


def test_scripts_change_the_record_and_catch_ordinary_errors():
    record = WritableRecord({"qty": 2, "status": "new"})
    namespace = execute(
        "try:\n    x = 1 / 0\nexcept ZeroDivisionError:\n    x = -1\n"
        "record['status'] = 'open' if qty > 1 else 'new'\nrecord.note = 'x=' + str(x)\n"
        "print('done')\n",
        {"record": record, "qty": 2},
    )
    assert record == {"qty": 2, "status": "open", "note": "x=-1"}
    assert namespace["record"] is record


def test_run_time_errors_name_the_line():
    with pytest.raises(SandboxError) as error:
        execute("a = 1\nb = 0\nc = a / b\n", {})
    assert error.value.line == 3 and "ZeroDivisionError" in str(error.value)
    with pytest.raises(SandboxError, match="the record has no field 'colour'"):
        evaluate("record.colour", {"record": RecordView({})})


def test_save_time_problems_name_the_line():
    assert rule_problem("qty <= 10", "eval", ["qty"]) is None
    assert rule_problem("qty <=", "eval", ["qty"]).startswith("line 1:")
    assert (
        rule_problem("x = 1\ny = undefined_name\n", "exec")
        == "line 2: unknown name 'undefined_name'"
    )
    assert rule_problem("import os", "exec") == "line 1: imports are not allowed in rules."
    assert rule_problem("x" * 60000, "eval").startswith("the rule is longer")


def test_compiled_rules_are_cached():
    assert compile_rule("qty + 1") is compile_rule("qty + 1")
