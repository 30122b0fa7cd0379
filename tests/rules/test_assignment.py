"""Assignment rules through the record service: each method, triggers, best_match's filters
and scores, the decision log, and pools with first-claim-wins."""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from plinth.auth.actor import Actor
from plinth.errors import Conflict, MetadataInvalid, NotFound, PermissionDenied, ValidationError
from plinth.rules.assignment import pools
from plinth.rules.assignment.engine import assign
from plinth.runtime import system_tables as st
from plinth.workflow.transitions import fire

from .assignment_docs import CALENDAR, ENGINEER, JOB, JOB_FLOW, NIGHT, SKILL_LEVEL, T0, rule

SHANGHAI = {"lat": 31.2304, "lng": 121.4737}
SUZHOU = {"lat": 31.2989, "lng": 120.5853}  # about 85 km away
NANJING = {"lat": 32.0603, "lng": 118.7969}  # about 270 km away


@pytest.fixture
def shop(tenant, publish):
    tenant.clock = lambda: T0
    publish(ENGINEER, SKILL_LEVEL, JOB, ("workflows", JOB_FLOW))
    with tenant.session() as session:
        session.conn.execute(
            st.user.insert(),
            [
                {"id": i, "email": f"user{i}@example.com", "created_at": T0, "updated_at": T0}
                for i in (501, 502, 503, 504)
            ],
        )
    return publish


def engineers(records, *specs):
    return [records("create", "engineer", spec)["id"] for spec in specs]


def log_of(tenant, job_id):
    with tenant.session() as session:
        rows = session.conn.execute(
            sa.select(st.assignment).where(st.assignment.c.record_id == job_id)
        ).mappings()
        return [dict(r) for r in rows]


def test_fixed_rule_fills_an_empty_field_when_its_condition_holds(tenant, shop, records):
    ann, bob = engineers(records, {"name": "ann"}, {"name": "bob"})
    shop(rule("urgent_to_ann", "fixed", assignee=ann, condition="priority == 'urgent'"))
    urgent = records("create", "job", {"title": "a", "priority": "urgent"})
    low = records("create", "job", {"title": "b", "priority": "low"})
    chosen = records("create", "job", {"title": "c", "priority": "urgent", "engineer": bob})
    assert (urgent["engineer"], low["engineer"], chosen["engineer"]) == (ann, None, bob)
    [entry] = log_of(tenant, urgent["id"])
    assert (entry["rule"], entry["method"], entry["assignee_id"]) == ("urgent_to_ann", "fixed", ann)
    assert log_of(tenant, low["id"]) == [] and log_of(tenant, chosen["id"]) == []


def test_rules_run_by_priority_and_the_first_that_decides_assigns(tenant, shop, records):
    ann, bob = engineers(records, {"name": "ann"}, {"name": "bob"})
    shop(
        rule("second", "fixed", assignee=bob, priority=20),
        rule("first", "fixed", assignee=ann, priority=10, condition="title == 'vip'"),
    )
    assert records("create", "job", {"title": "vip"})["engineer"] == ann
    assert records("create", "job", {"title": "other"})["engineer"] == bob


def test_round_robin_cycles_over_active_candidates(tenant, shop, records):
    ids = engineers(
        records, {"name": "a"}, {"name": "b"}, {"name": "off", "active": False}, {"name": "c"}
    )
    shop(rule("rr", "round_robin"))
    got = [records("create", "job", {"title": str(i)})["engineer"] for i in range(5)]
    assert got == [ids[0], ids[1], ids[3], ids[0], ids[1]]


def test_round_robin_under_concurrent_creates_gives_each_its_share(tenant, shop, records, backend):
    ids = engineers(records, {"name": "a"}, {"name": "b"}, {"name": "c"})
    shop(rule("rr", "round_robin"))
    barrier = threading.Barrier(6)
    got, errors = [], []

    def create(i):
        barrier.wait()
        try:
            got.append(records("create", "job", {"title": str(i)})["engineer"])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(got) == sorted(ids * 2)


def test_load_balancing_counts_open_records_only(tenant, shop, records):
    ann, bob = engineers(records, {"name": "ann"}, {"name": "bob"})
    busy = [records("create", "job", {"title": f"b{i}", "engineer": ann})["id"] for i in range(2)]
    records("create", "job", {"title": "x", "engineer": bob})
    shop(rule("balance", "load_balancing"))
    assert records("create", "job", {"title": "n1"})["engineer"] == bob  # 1 against 2
    with tenant.session() as session:
        for job_id in busy:
            fire(session, "job", job_id, "finish")  # done work is no load
    assert records("create", "job", {"title": "n2"})["engineer"] == ann
    detail = log_of(tenant, records("create", "job", {"title": "n3"})["id"])[0]["detail"]
    assert detail["ranking"][0]["load"] <= detail["ranking"][1]["load"]


def test_based_on_field_copies_from_a_related_record(tenant, shop, records):
    ann = engineers(records, {"name": "ann"})[0]
    shop(rule("inherit", "based_on_field", source_field="parent.engineer"))
    parent = records("create", "job", {"title": "parent", "engineer": ann})
    child = records("create", "job", {"title": "child", "parent": parent["id"]})
    assert child["engineer"] == ann
    assert records("create", "job", {"title": "orphan"})["engineer"] is None


def test_state_entry_assigns_after_a_reopen_cleared_the_field(tenant, shop, records):
    ann, bob = engineers(records, {"name": "ann"}, {"name": "bob"})
    shop(rule("on_new", "round_robin", when={"on": "state", "state": "new"}))
    job = records("create", "job", {"title": "x"})  # created in new: entering it
    assert job["engineer"] == ann
    with tenant.session() as session:
        fire(session, "job", job["id"], "finish")
        reopened = fire(session, "job", job["id"], "reopen")
    assert reopened["engineer"] == bob


BEST = {
    "match": {
        "skills": {"required": "required_skills", "candidate": "skills"},
        "group": {"record": "group", "candidate": "groups"},
        "working_hours": {
            "at": "start",
            "duration": "duration",
            "calendar": "calendar",
            "absences": "absences",
        },
        "distance": {
            "record": "location",
            "candidate": "location",
            "fallback": "home",
            "max_km": 150,
        },
        "preferred": "preferred",
        "excluded": "excluded",
    },
    "weights": {"skills": 2, "load": 1, "distance": 3, "group": 0, "preferred": 1},
}


def test_best_match_filters_hard_constraints_and_scores_the_rest(tenant, shop, records):
    base = {"calendar": "day_shift", "groups": ["east"], "location": SHANGHAI}
    near, far, junior, night, away, outsider, remote, moved = engineers(
        records,
        {**base, "name": "near", "skills": [{"skill": "hvac", "level": 3}]},
        {**base, "name": "far", "skills": {"hvac": 5}, "location": SUZHOU},
        {**base, "name": "junior", "skills": {"hvac": 1}},
        {**base, "name": "night", "skills": {"hvac": 3}, "calendar": "night_shift"},
        {
            **base,
            "name": "away",
            "skills": {"hvac": 3},
            "absences": [{"from": "2026-11-23", "to": "2026-11-24"}],
        },
        {
            **base,
            "name": "outsider",
            "skills": {"hvac": 3},
            "groups": [{"group": "east", "to": "2026-10-31"}],
        },
        {**base, "name": "remote", "skills": {"hvac": 3}, "location": NANJING},
        {**base, "name": "moved", "skills": {"hvac": 3}, "location": None, "home": SUZHOU},
    )
    shop(("calendars", CALENDAR), ("calendars", NIGHT), rule("best", "best_match", **BEST))
    job = records(
        "create",
        "job",
        {
            "title": "fix",
            "required_skills": [{"skill": "hvac", "level": 2}],
            "group": "east",
            "start": T0,
            "duration": 60,
            "location": SHANGHAI,
        },
    )
    assert job["engineer"] == near  # far has more skill, but distance weighs more
    detail = log_of(tenant, job["id"])[0]["detail"]
    assert detail["considered"] == 8 and detail["eligible"] == 3
    assert detail["excluded"] == {
        "skill hvac below level 2": 1,
        "off duty": 1,
        "absent": 1,
        "not in the service group": 1,
        "too far": 1,
    }
    ranking = {r["id"]: r for r in detail["ranking"]}
    assert [r["id"] for r in detail["ranking"]] == [near, far, moved]  # moved: from home
    assert ranking[near]["components"]["distance"] == 1.0
    assert (
        ranking[far]["components"]["skills"] == 1.0 and ranking[near]["components"]["skills"] == 0.6
    )
    assert 80 < ranking[far]["km"] < 90
    assert detail["weights"]["distance"] == 3

    needs = {"required_skills": {"hvac": 3}, "group": "east", "start": T0, "location": SHANGHAI}
    preferred = records(
        "create", "job", {**needs, "title": "p", "preferred": moved, "excluded": [near]}
    )
    assert preferred["engineer"] == moved  # 0.4 less for skill, 1 more for being preferred
    ranking = log_of(tenant, preferred["id"])[0]["detail"]["ranking"]
    assert [r["id"] for r in ranking] == [moved, far]
    assert ranking[0]["components"]["preferred"] == 1.0


def test_best_match_reads_skills_from_a_related_object_and_breaks_ties_by_load(
    tenant, shop, records
):
    ann, bob, cat = engineers(records, {"name": "ann"}, {"name": "bob"}, {"name": "cat"})
    for engineer, level in ((ann, 4), (bob, 4), (cat, 1)):
        records("create", "skill_level", {"engineer": engineer, "skill": "gas", "level": level})
    records("create", "job", {"title": "busy", "engineer": ann})
    match = {
        "skills": {
            "required": "required_skills",
            "candidate": {
                "object": "skill_level",
                "via": "engineer",
                "key": "skill",
                "level": "level",
            },
        }
    }
    shop(rule("best", "best_match", match=match, weights={"skills": 1, "load": 0}))
    job = records("create", "job", {"title": "x", "required_skills": {"gas": 2}})
    assert job["engineer"] == bob  # equal scores: the lighter load wins
    detail = log_of(tenant, job["id"])[0]["detail"]
    assert detail["excluded"] == {"skill gas below level 2": 1}


def test_no_eligible_candidate_leaves_the_field_empty(tenant, shop, records):
    engineers(records, {"name": "ann", "skills": {"hvac": 1}})
    shop(
        rule(
            "best",
            "best_match",
            match={"skills": {"required": "required_skills", "candidate": "skills"}},
        )
    )
    job = records("create", "job", {"title": "x", "required_skills": {"hvac": 3}})
    assert job["engineer"] is None and log_of(tenant, job["id"]) == []


def test_manual_assignment_with_dry_run(tenant, shop, records):
    ann, bob = engineers(records, {"name": "ann"}, {"name": "bob"})
    shop(rule("rr", "round_robin", when={"on": "manual"}))
    job = records("create", "job", {"title": "x"})
    assert job["engineer"] is None  # manual rules do not run on create
    with tenant.session() as session:
        preview = assign(session, "job", job["id"], dry_run=True)
    assert (preview["assignee"], preview["dry_run"]) == (ann, True)
    with tenant.session() as session:
        assert assign(session, "job", job["id"], "rr")["assignee"] == ann  # pointer kept
    with tenant.session() as session:
        assert assign(session, "job", job["id"])["assignee"] == bob
    assert records("get", "job", job["id"])["engineer"] == bob
    assert [e["method"] for e in log_of(tenant, job["id"])] == ["round_robin", "round_robin"]
    with tenant.session() as session, pytest.raises(NotFound):
        assign(session, "job", job["id"], "nope")


def test_manual_assignment_says_why_nobody_fits(tenant, shop, records):
    shop(rule("best", "best_match", when={"on": "manual"}))
    job = records("create", "job", {"title": "x"})
    with tenant.session() as session, pytest.raises(ValidationError) as caught:
        assign(session, "job", job["id"])
    assert "best: no eligible candidate" in caught.value.errors["rule"]


def member(user_id):
    return Actor(user_id, f"user{user_id}@example.com", roles=frozenset({"admin"}))


def test_pool_claims_first_wins_and_only_members_may_claim(tenant, shop, records, backend):
    ann, bob, _ = engineers(
        records,
        {"name": "ann", "login": 501},
        {"name": "bob", "login": 502},
        {"name": "cat", "login": 503, "active": False},
    )
    shop(rule("grab", "round_robin", pool=True))
    job = records("create", "job", {"title": "x"})
    assert job["engineer"] is None
    for user_id, expected in ((501, [job["id"]]), (502, [job["id"]])):
        with tenant.session(Actor(user_id, "u", roles=frozenset())) as session:
            data, _ = pools.open_for(session, "job", 10, None)
            assert [item["record"]["id"] for item in data] == expected
    with tenant.session(Actor(503, "u", roles=frozenset())) as session:
        assert pools.open_for(session, "job", 10, None)[0] == []
        with pytest.raises(PermissionDenied):
            pools.claim(session, "job", job["id"])

    barrier = threading.Barrier(2)
    outcomes = {}

    def grab(user_id):
        barrier.wait()
        try:
            with tenant.session(member(user_id)) as session:
                outcomes[user_id] = pools.claim(session, "job", job["id"])["engineer"]
        except Conflict:
            outcomes[user_id] = "conflict"

    threads = [threading.Thread(target=grab, args=(u,)) for u in (501, 502)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes.values())).count("conflict") == 1
    winner = next(u for u, v in outcomes.items() if v != "conflict")
    assert records("get", "job", job["id"])["engineer"] == {501: ann, 502: bob}[winner]
    assert [e["method"] for e in log_of(tenant, job["id"])] == ["round_robin:pool", "claim"]
    with tenant.session(member(501)) as session, pytest.raises(Conflict):
        pools.claim(session, "job", job["id"])


def test_setting_the_field_closes_the_pool(tenant, shop, records):
    ann = engineers(records, {"name": "ann", "login": 501})[0]
    shop(rule("grab", "load_balancing", pool=True))
    job = records("create", "job", {"title": "x"})
    records("update", "job", job["id"], {"engineer": ann})
    with tenant.session(member(501)) as session:
        assert pools.open_for(session, "job", 10, None)[0] == []


@pytest.mark.parametrize(
    "change, pointer",
    [
        ({"candidates": {"object": "job"}}, "/candidates/object"),
        ({"pool": True, "candidates": {"object": "engineer"}}, "/candidates/user_field"),
        (
            {"match": {"distance": {"record": "title", "candidate": "location"}}},
            "/match/distance/record",
        ),
        (
            {"candidates": {"object": "engineer", "filter": {"colour": "red"}}},
            "/candidates/filter/colour",
        ),
        ({"method": "based_on_field", "source_field": "parent.colour"}, "/source_field"),
        ({"when": {"on": "state", "state": "lost"}}, "/when/state"),
        (
            {
                "match": {
                    "skills": {
                        "required": "required_skills",
                        "candidate": {"object": "job", "via": "parent"},
                    }
                }
            },
            "/match/skills/candidate/via",
        ),
    ],
)
def test_bad_rules_are_refused_with_a_pointer(shop, change, pointer):
    name, doc = rule("bad", "best_match")
    with pytest.raises(MetadataInvalid) as caught:
        shop((name, {**doc, **change}))
    assert any(key.endswith(pointer) for key in caught.value.errors), caught.value.errors


def test_cached_profiles_follow_candidate_changes(tenant, shop, records):
    now = [T0]
    tenant.clock = lambda: now[0]

    def later(**values):
        now[0] += dt.timedelta(hours=1)  # each change is stamped after the cache was built
        return values

    ann, bob = engineers(
        records, {"name": "ann", "skills": {"hvac": 5}}, {"name": "bob", "skills": {"hvac": 3}}
    )
    match = {"skills": {"required": "required_skills", "candidate": "skills"}}
    shop(
        rule(
            "best",
            "best_match",
            when={"on": "manual"},
            match=match,
            weights={"skills": 1, "load": 0},
        )
    )
    job = records("create", "job", {"title": "x", "required_skills": {"hvac": 2}})

    def best():
        with tenant.session() as session:
            return assign(session, "job", job["id"], dry_run=True)["assignee"]

    assert best() == ann
    records("update", "engineer", ann, later(skills={"hvac": 1}))
    assert best() == bob
    cid = records("create", "engineer", later(name="cid", skills={"hvac": 4}))["id"]
    assert best() == cid
    records("update", "engineer", cid, later(active=False))
    assert best() == bob
    now[0] -= dt.timedelta(days=1)  # stamped before the cache's latest update, as a
    records("update", "engineer", ann, {"skills": {"hvac": 9}})  # late commit would be
    assert best() == ann
    records("delete", "engineer", ann)
    assert best() == bob
    records("delete", "engineer", bob)
    with tenant.session() as session, pytest.raises(ValidationError):
        assign(session, "job", job["id"], dry_run=True)
