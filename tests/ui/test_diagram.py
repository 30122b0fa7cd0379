"""The workflow diagram's placement: columns by distance from the initial state."""

from __future__ import annotations

from admin_ui.builder.diagram import draw

FLOW = {
    "states": [
        {"name": "new", "category": "new", "initial": True},
        {"name": "open", "category": "open"},
        {"name": "done", "category": "done"},
        {"name": "cancelled", "category": "cancelled"},
        {"name": "orphan", "category": "waiting"},
    ],
    "transitions": [
        {"name": "start", "from": ["new"], "to": "open"},
        {"name": "finish", "from": ["open"], "to": "done"},
        {"name": "reopen", "from": ["done"], "to": "open"},
        {"name": "cancel", "from": "*", "to": "cancelled"},
    ],
}


def test_states_are_placed_by_distance_and_arrows_do_not_overlap():
    diagram = draw(FLOW)
    x = {n.name: n.x for n in diagram.nodes}
    assert x["new"] < x["open"] < x["done"]
    assert x["orphan"] > x["done"]  # unreachable states come last
    edges = {e.name: e for e in diagram.edges}
    assert set(edges) == {"start", "finish", "reopen"}
    assert edges["finish"].bend == 0 and edges["reopen"].bend > 0  # back arrows bend away
    assert edges["finish"].mid != edges["reopen"].mid
    assert [(e.name, e.target.name) for e in diagram.entries] == [("cancel", "cancelled")]


def test_a_document_being_typed_still_draws():
    assert draw({}).nodes == []
    broken = {"states": [{"name": "a"}, "junk"], "transitions": [{"from": ["a"], "to": "zz"}]}
    assert [n.name for n in draw(broken).nodes] == ["a"] and draw(broken).edges == []
