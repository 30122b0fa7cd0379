"""A workflow drawn as a diagram: states in columns by how many steps they are from the
initial state, transitions as arrows between them (positions for an SVG template)."""

from __future__ import annotations

import dataclasses
from collections import deque

NODE_WIDTH = 150
NODE_HEIGHT = 44
COLUMN_GAP = 90
ROW_GAP = 36
MARGIN = 20
ANY = "*"


@dataclasses.dataclass
class Node:
    name: str
    label: object
    category: str
    x: int
    y: int

    @property
    def cx(self) -> int:
        return self.x + NODE_WIDTH // 2

    @property
    def cy(self) -> int:
        return self.y + NODE_HEIGHT // 2


@dataclasses.dataclass
class Edge:
    name: str
    source: Node
    target: Node
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def mid(self) -> tuple[float, float]:
        return (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2


@dataclasses.dataclass
class Diagram:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int


def _ranks(states: list[dict], transitions: list[dict]) -> dict[str, int]:
    names = [s["name"] for s in states]
    following: dict[str, list[str]] = {n: [] for n in names}
    for t in transitions:
        sources = names if t.get("from") == ANY else t.get("from") or []
        for source in sources:
            if source in following and t.get("to") in following and t["to"] != source:
                following[source].append(t["to"])
    start = [s["name"] for s in states if s.get("initial")] or names[:1]
    ranks = {name: 0 for name in start}
    queue = deque(start)
    while queue:
        name = queue.popleft()
        for nxt in following[name]:
            if nxt not in ranks:
                ranks[nxt] = ranks[name] + 1
                queue.append(nxt)
    last = max(ranks.values(), default=-1) + 1
    for name in names:  # states no transition reaches, drawn after the rest
        ranks.setdefault(name, last)
    return ranks


def draw(workflow: dict) -> Diagram:
    """Positions of the states and transitions of a workflow document."""
    states = [s for s in workflow.get("states", ()) if isinstance(s, dict) and s.get("name")]
    transitions = [t for t in workflow.get("transitions", ()) if isinstance(t, dict)]
    ranks = _ranks(states, transitions)
    rows: dict[int, int] = {}
    nodes: dict[str, Node] = {}
    for state in states:
        rank = ranks[state["name"]]
        row = rows.get(rank, 0)
        rows[rank] = row + 1
        x = MARGIN + rank * (NODE_WIDTH + COLUMN_GAP)
        y = MARGIN + row * (NODE_HEIGHT + ROW_GAP)
        nodes[state["name"]] = Node(
            state["name"], state.get("label"), state.get("category", ""), x, y
        )
    edges = []
    for t in transitions:
        target = nodes.get(t.get("to"))
        sources = list(nodes) if t.get("from") == ANY else t.get("from") or []
        for source_name in sources:
            source = nodes.get(source_name)
            if source is None or target is None or source is target:
                continue
            edges.append(Edge(t.get("name", ""), source, target, *_ends(source, target)))
    width = MARGIN * 2 + (max(ranks.values(), default=0) + 1) * (NODE_WIDTH + COLUMN_GAP)
    height = MARGIN * 2 + max(rows.values(), default=1) * (NODE_HEIGHT + ROW_GAP)
    return Diagram(list(nodes.values()), edges, width - COLUMN_GAP, height - ROW_GAP)


def _ends(source: Node, target: Node) -> tuple[float, float, float, float]:
    """Where an arrow leaves one box and enters the other (on the facing sides)."""
    if target.x > source.x:
        return source.x + NODE_WIDTH, source.cy, target.x, target.cy
    if target.x < source.x:
        return source.x, source.cy + 6, target.x + NODE_WIDTH, target.cy + 6
    if target.y > source.y:
        return source.cx + 10, source.y + NODE_HEIGHT, target.cx + 10, target.y
    return source.cx - 10, source.y, target.cx - 10, target.y + NODE_HEIGHT
