"""Listing records: filters, sorting, keyset pagination, search, expansion, on both databases."""

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from plinth.errors import ValidationError
from plinth.runtime.query import Filter, ListQuery, parse_list_args
from tests.docs import SITE, doc

THING = {
    "name": "thing",
    "search_fields": ["name"],
    "fields": [
        {"name": "name", "type": "text"},
        {"name": "rank", "type": "integer"},
        {"name": "price", "type": "decimal", "scale": 2},
        {"name": "when", "type": "datetime"},
        {"name": "day", "type": "date"},
        {"name": "flag", "type": "boolean"},
        {"name": "kind", "type": "select", "options": [{"value": "a"}, {"value": "b"}]},
        {"name": "tags", "type": "multiselect", "options": [{"value": "x"}, {"value": "y"}]},
        {"name": "spot", "type": "geo"},
        {"name": "site", "type": "lookup", "target": "site", "on_delete": "set_null"},
    ],
}


@pytest.fixture
def things(publish, tenant):
    publish(doc(SITE), doc(THING))
    rng = random.Random(7)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with tenant.session() as s:
        sites = [s.records.create("site", {"name": f"Site {i}"})["id"] for i in range(3)]
        for i in range(60):
            s.records.create(
                "thing",
                {
                    "name": f"Thing {i:02d}" + (" special" if i % 10 == 0 else ""),
                    "rank": rng.choice([None, 1, 2, 3, 4]),
                    "price": f"{rng.randint(0, 500)}.{rng.randint(0, 99):02d}",
                    "when": (base + dt.timedelta(hours=rng.randint(0, 100))).isoformat(),
                    "day": (base.date() + dt.timedelta(days=i % 7)).isoformat(),
                    "flag": i % 3 == 0,
                    "kind": rng.choice(["a", "b", None]),
                    "tags": rng.sample(["x", "y"], rng.randint(0, 2)),
                    "spot": {"lat": 30 + i / 10, "lng": 120 + i / 10} if i % 2 else None,
                    "site": rng.choice(sites + [None]),
                },
            )
    return sites


def listing(tenant, query):
    with tenant.session() as s:
        return s.records.list("thing", query)


def all_pages(tenant, **kwargs):
    rows, cursor, pages = [], None, 0
    while True:
        page = listing(tenant, ListQuery(cursor=cursor, **kwargs))
        rows.extend(page.data)
        pages += 1
        if page.next_cursor is None:
            return rows, pages
        cursor = page.next_cursor


def python_sorted(rows, keys):
    """Reference order: NULLs sort as the largest value, ties broken by id."""
    result = sorted(rows, key=lambda r: r["id"], reverse=keys[-1].startswith("-"))
    for key in reversed(keys):
        result = sorted(
            result,
            key=lambda r, k=key: (r[k.lstrip("-")] is None, r[k.lstrip("-")] or 0),
            reverse=key.startswith("-"),
        )
    return result


@pytest.mark.parametrize(
    "sort", [["rank"], ["-rank"], ["-rank", "price"], ["kind", "-when"], ["-created_at"], []]
)
def test_keyset_pages_cover_every_row_once_in_order(things, tenant, sort):
    everything = listing(tenant, ListQuery(limit=1000)).data
    rows, pages = all_pages(tenant, sort=sort, limit=7)
    assert pages == 9
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in everything)
    if sort:
        assert [r["id"] for r in rows] == [r["id"] for r in python_sorted(everything, sort)]
    else:
        assert [r["id"] for r in rows] == sorted(r["id"] for r in everything)


def test_filters_of_each_operator(things, tenant):
    everything = listing(tenant, ListQuery(limit=1000)).data

    def ids(*filters):
        page = listing(tenant, ListQuery(filters=list(filters), limit=1000))
        return sorted(r["id"] for r in page.data)

    def expect(predicate):
        return sorted(r["id"] for r in everything if predicate(r))

    assert ids(Filter("rank", "eq", "2")) == expect(lambda r: r["rank"] == 2)
    assert ids(Filter("rank", "gt", "2")) == expect(
        lambda r: r["rank"] is not None and r["rank"] > 2
    )
    assert ids(Filter("rank", "lte", 2)) == expect(
        lambda r: r["rank"] is not None and r["rank"] <= 2
    )
    assert ids(Filter("rank", "in", ["1", "4"])) == expect(lambda r: r["rank"] in (1, 4))
    assert ids(Filter("rank", "isnull", True)) == expect(lambda r: r["rank"] is None)
    assert ids(Filter("price", "gte", "250.5")) == expect(
        lambda r: r["price"] is not None and float(r["price"]) >= 250.5
    )
    cut = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    assert ids(Filter("when", "lt", "2026-01-03T08:00:00+08:00")) == expect(
        lambda r: r["when"] < cut
    )
    assert ids(Filter("day", "eq", "2026-01-02")) == expect(
        lambda r: r["day"] == dt.date(2026, 1, 2)
    )
    assert ids(Filter("flag", "eq", "true")) == expect(lambda r: r["flag"])
    assert ids(Filter("kind", "eq", "a"), Filter("rank", "gte", 3)) == expect(
        lambda r: r["kind"] == "a" and r["rank"] is not None and r["rank"] >= 3
    )
    assert ids(Filter("name", "contains", "SPECIAL")) == expect(lambda r: "special" in r["name"])
    assert ids(Filter("tags", "contains", "y")) == expect(lambda r: "y" in r["tags"])
    assert ids(Filter("tags", "isnull", True)) == expect(lambda r: r["tags"] == [])
    box = "31,121,33,123"
    assert ids(Filter("spot", "within", box)) == expect(
        lambda r: (
            r["spot"] is not None
            and 31 <= r["spot"]["lat"] <= 33
            and 121 <= r["spot"]["lng"] <= 123
        )
    )
    assert ids(Filter("site", "eq", str(things[0]))) == expect(lambda r: r["site"] == things[0])
    assert ids(Filter("id", "gt", everything[-5]["id"])) == expect(
        lambda r: r["id"] > everything[-5]["id"]
    )


def test_search_count_fields_and_expand(things, tenant):
    with tenant.session() as s:
        found = s.records.list("thing", ListQuery(search="special", limit=100)).data
        assert len(found) == 6
        assert s.records.count("thing", ListQuery(search="special")) == 6
        assert s.records.count("thing", ListQuery(filters=[Filter("flag", "eq", "true")])) == 20
        narrow = s.records.list("thing", ListQuery(fields=["name"], limit=2)).data
        assert all(set(r) == {"id", "name"} for r in narrow)


def test_expanding_lookups_takes_one_query_per_field(things, tenant):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(tenant.database.engine, "before_cursor_execute", count)
    try:
        with tenant.session() as s:
            assert s.compiled.revision_id  # checked once per session, not per query
            statements.clear()
            page = s.records.list("thing", ListQuery(limit=50, expand=["site"]))
    finally:
        sa.event.remove(tenant.database.engine, "before_cursor_execute", count)
    assert len(statements) == 2
    expanded = [r["site"] for r in page.data if r["site"] is not None]
    assert expanded and all(isinstance(s, dict) and s["name"].startswith("Site") for s in expanded)


@pytest.mark.parametrize(
    ("query", "key", "message"),
    [
        (ListQuery(filters=[Filter("nope", "eq", "1")]), "nope", "unknown field"),
        (ListQuery(filters=[Filter("rank", "contains", "1")]), "rank__contains", "does not apply"),
        (ListQuery(filters=[Filter("rank", "eq", "one")]), "rank", "whole number"),
        (ListQuery(filters=[Filter("spot", "within", "1,2,3")]), "spot__within", "within takes"),
        (ListQuery(sort=["tags"]), "sort", "cannot sort"),
        (ListQuery(sort=["rank", "-rank"]), "sort", "twice"),
        (ListQuery(cursor="garbage!"), "cursor", "not a valid cursor"),
        (ListQuery(fields=["secret"]), "fields", "unknown field"),
        (ListQuery(expand=["name"]), "expand", "not a lookup"),
        (ListQuery(search="x" * 500), "q", "longer than"),
    ],
)
def test_bad_queries_are_refused_with_the_argument_named(things, tenant, query, key, message):
    with pytest.raises(ValidationError) as error:
        listing(tenant, query)
    assert key in error.value.errors
    assert message in " ".join(error.value.errors[key])


def test_a_cursor_is_only_valid_for_its_own_sort(things, tenant):
    page = listing(tenant, ListQuery(sort=["rank"], limit=5))
    with pytest.raises(ValidationError, match="cursor"):
        listing(tenant, ListQuery(sort=["-rank"], limit=5, cursor=page.next_cursor))


def test_parse_list_args():
    query = parse_list_args(
        {
            "rank__gte": "2",
            "kind__in": "a,b",
            "site__isnull": "false",
            "sort": "-rank,name",
            "limit": "20",
            "q": "pump",
            "fields": "name,rank",
            "expand": "site",
        }
    )
    assert query.filters == [
        Filter("rank", "gte", "2"),
        Filter("kind", "in", ["a", "b"]),
        Filter("site", "isnull", False),
    ]
    assert (query.sort, query.limit, query.search) == (["-rank", "name"], 20, "pump")
    assert (query.fields, query.expand) == (["name", "rank"], ["site"])
    with pytest.raises(ValidationError) as error:
        parse_list_args({"rank__between": "1", "limit": "0", "flag__isnull": "maybe"})
    assert set(error.value.errors) == {"rank__between", "limit", "flag__isnull"}
