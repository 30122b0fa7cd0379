"""The engine's calls go down only: the import graph of ``plinth/`` has no cycle, counting
imports made inside functions and under ``TYPE_CHECKING`` too (docs/decisions/0003 and
0004). What a lower layer must tell a higher one goes through events; packs use the toolkit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def module_names(package: Path) -> dict[str, Path]:
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` is, or the nearest package it is in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every engine module ``name`` imports, wherever in the file the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            # ``from plinth.x import y`` imports the module plinth.x.y when there is one
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            owner = _owner(target, modules)
            if owner and owner != name:
                found.add(owner)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first == last), or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_engine_imports_form_no_cycle():
    modules = module_names(ROOT / "plinth")
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize(
    ("graph", "cyclic"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"d2"}, "d2": {"d"}}, True),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, cyclic):
    assert (find_cycle(graph) is not None) == cyclic


def test_a_type_only_import_counts(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high import H\n"
    )
    (package / "high.py").write_text("def f():\n    from pkg import low\n")
    modules = module_names(package)
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert find_cycle(graph) is not None


def test_every_event_payload_is_an_event_the_bus_knows():
    from plinth.runtime.event_bus import EVENTS, RECORD_EVENTS, EventBus
    from plinth.runtime.events import PAYLOADS

    assert {p.event for p in PAYLOADS} | set(RECORD_EVENTS) == set(EVENTS)
    bus, seen = EventBus(), []
    bus.register("dwell_passed", seen.append, objects=["ticket"])
    for name in ("ticket", "asset"):
        model = type("Model", (), {"name": name})()
        bus.publish(type("Payload", (), {"event": "dwell_passed", "model": model})())
    assert [p.model.name for p in seen] == ["ticket"]


# ---- packs use the toolkit only -----------------------------------------------------------


def _engine_imports_of_packs() -> dict[str, set[str]]:
    """Every ``plinth.*`` module each pack module imports (anywhere in the file)."""
    engine = module_names(ROOT / "plinth")
    found = {}
    for path in sorted((ROOT / "packs").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name] = imports_of(name, path, engine)
    return found


def test_packs_import_nothing_of_the_engine_but_the_toolkit():
    outside = {
        module: sorted(t for t in targets if not t.startswith("plinth.toolkit"))
        for module, targets in _engine_imports_of_packs().items()
    }
    assert {m: t for m, t in outside.items() if t} == {}


def test_ruff_bans_every_engine_module_under_packs_but_the_toolkit():
    import tomllib

    config = tomllib.loads((ROOT / "packs" / "ruff.toml").read_text(encoding="utf-8"))
    banned = set(config["lint"]["flake8-tidy-imports"]["banned-api"])
    top_level = {
        f"plinth.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "plinth").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file()) and p.stem != "__init__"
    }
    assert banned == top_level - {"plinth.toolkit"}
    assert "TID251" in config["lint"]["extend-select"]


def test_the_toolkit_is_the_top_of_the_engine():
    """Nothing in the engine imports the toolkit: it is the packs' door, not a shortcut."""
    engine = module_names(ROOT / "plinth")
    users = sorted(
        name
        for name, path in engine.items()
        if not name.startswith("plinth.toolkit")
        and any(t.startswith("plinth.toolkit") for t in imports_of(name, path, engine))
    )
    assert users == []


def test_every_toolkit_entry_is_documented():
    import plinth.toolkit as toolkit

    guide = (ROOT / "docs" / "toolkit.md").read_text(encoding="utf-8")
    missing_doc = [n for n in toolkit.__all__ if f"`{n}`" not in guide and f"`{n}(" not in guide]
    assert missing_doc == []
    undocumented = [
        n
        for n in toolkit.__all__
        if callable(getattr(toolkit, n)) and not getattr(toolkit, n).__doc__
    ]
    assert undocumented == []


# ---- SQL lives below the HTTP layer ---------------------------------------------------------

HTTP_LAYER = ("plinth/api", "admin_ui")
SQL_MODULES = ("sqlalchemy", "plinth.runtime.system_tables")
#: HTTP-layer modules that may still import one of SQL_MODULES, each with the reason. Empty:
#: the API and the pages call services (plinth/auth, jobs, workflow, metadata, services/…),
#: which hold the statements.
SQL_ALLOWED: dict[str, str] = {}


def imported_names(path: Path, package: str) -> set[str]:
    """Every module name a file imports (``from a import b`` counts as a and a.b), with
    relative imports made absolute against ``package``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def http_layer_modules() -> dict[str, tuple[Path, set[str]]]:
    """Each module of the HTTP layer: its path and every name it imports."""
    found = {}
    for folder in HTTP_LAYER:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            found[name] = (path, imported_names(path, package))
    return found


def _is_within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def test_the_http_layer_builds_no_sql():
    """plinth/api and admin_ui import neither SQLAlchemy nor the system tables: the
    statements live in services below them (a new one goes there, or into SQL_ALLOWED with
    the reason it must stay)."""
    offending = {
        module: sorted(n for n in names if _is_within(n, SQL_MODULES))
        for module, (_path, names) in http_layer_modules().items()
        if module not in SQL_ALLOWED
    }
    assert {m: n for m, n in offending.items() if n} == {}


def test_the_sql_allow_list_names_modules_that_still_need_it():
    modules = http_layer_modules()
    stale = [
        module
        for module in SQL_ALLOWED
        if module not in modules or not any(_is_within(n, SQL_MODULES) for n in modules[module][1])
    ]
    assert stale == []


def test_the_pages_import_nothing_of_the_api():
    """admin_ui and plinth/api are siblings: what both need (the request session, CSRF,
    the client's address) is in plinth.auth.web_session."""
    using_api = {
        module: sorted(n for n in names if _is_within(n, ("plinth.api",)))
        for module, (_path, names) in http_layer_modules().items()
        if module.startswith("admin_ui")
    }
    assert {m: n for m, n in using_api.items() if n} == {}


def test_the_import_checks_see_every_form_of_import(tmp_path):
    path = tmp_path / "views.py"
    path.write_text(
        "import sqlalchemy as sa\nfrom plinth.runtime import system_tables as st\n"
        "from ..api import auth\n"
    )
    names = imported_names(path, "admin_ui.pages")
    assert _is_within("sqlalchemy", SQL_MODULES) and "sqlalchemy" in names
    assert "plinth.runtime.system_tables" in names
    assert "admin_ui.api.auth" in names
