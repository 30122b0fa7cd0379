"""A workflow drawn as a diagram: states in columns by how many steps they are from the
initial state, transitions as arrows between them (positions for an SVG template)."""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any

NODE_WIDTH = 150
NODE_HEIGHT = 44
COLUMN_GAP = 90
ROW_GAP = 50
MARGIN = 20
ANY = "*"
WIDE = 3  # a transition from more states than this is drawn as an entry into its target
BEND = 22  # how far a backward arrow bends away from the forward one


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
    bend: float = 0.0

    @property
    def control(self) -> tuple[float, float]:
        """The control point of the quadratic curve: the middle, pushed sideways."""
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        length = max((dx * dx + dy * dy) ** 0.5, 1.0)
        mx, my = (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2
        return mx - dy / length * self.bend * 2, my + dx / length * self.bend * 2

    @property
    def path(self) -> str:
        cx, cy = self.control
        return f"M {self.x1:.0f} {self.y1:.0f} Q {cx:.0f} {cy:.0f} {self.x2:.0f} {self.y2:.0f}"

    @property
    def mid(self) -> tuple[float, float]:
        """Where the label goes: the curve's middle point."""
        cx, cy = self.control
        return (self.x1 + 2 * cx + self.x2) / 4, (self.y1 + 2 * cy + self.y2) / 4


@dataclasses.dataclass
class Entry:
    """A transition from any (or many) states, drawn as an arrow into its target."""

    name: str
    target: Node
    sources: int


@dataclasses.dataclass
class Diagram:
    nodes: list[Node]
    edges: list[Edge]
    entries: list[Entry]
    width: int
    height: int


def _ranks(states: list[dict[str, Any]], transitions: list[dict[str, Any]]) -> dict[str, int]:
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


def draw(workflow: dict[str, Any]) -> Diagram:
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
    edges, entries = [], []
    pairs: dict[tuple[str, str], int] = {}
    for t in transitions:
        to: Any = t.get("to")  # a draft's value: a state's name, or anything typed
        target = nodes.get(to)
        sources = list(nodes) if t.get("from") == ANY else t.get("from") or []
        if target is None:
            continue
        if t.get("from") == ANY or len(sources) > WIDE:
            entries.append(Entry(t.get("name", ""), target, len(sources)))
            continue
        for source_name in sources:
            source = nodes.get(source_name)
            if source is None or source is target:
                continue
            key = (source.name, target.name)
            repeat = pairs[key] = pairs.get(key, 0) + 1
            backward = (target.x, target.y) < (source.x, source.y)
            bend = BEND * (repeat - 1) + (BEND if backward else 0)
            edges.append(Edge(t.get("name", ""), source, target, *_ends(source, target), bend))
    width = MARGIN * 2 + (max(ranks.values(), default=0) + 1) * (NODE_WIDTH + COLUMN_GAP)
    height = MARGIN * 2 + max(rows.values(), default=1) * (NODE_HEIGHT + ROW_GAP)
    return Diagram(list(nodes.values()), edges, entries, width - COLUMN_GAP, height - ROW_GAP)


def _ends(source: Node, target: Node) -> tuple[float, float, float, float]:
    """Where an arrow leaves one box and enters the other (on the facing sides)."""
    if target.x > source.x:
        return source.x + NODE_WIDTH, source.cy, target.x, target.cy
    if target.x < source.x:
        return source.x, source.cy, target.x + NODE_WIDTH, target.cy
    if target.y > source.y:
        return source.cx, source.y + NODE_HEIGHT, target.cx, target.y
    return source.cx, source.y, target.cx, target.y + NODE_HEIGHT
