"""The data-set modules import one another without a cycle (also none inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import datasets

PACKAGE = Path(datasets.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every ``datasets.*`` module that ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("datasets.")}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "datasets":
                found |= {f"datasets.{a.name}" for a in node.names}
            elif node.module.startswith("datasets."):
                found.add(node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    return {f"datasets.{p.stem}": imported_modules(p) for p in sorted(PACKAGE.glob("*.py"))}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of modules (first == last), or None."""
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, set())):
            if state.get(nxt) == "open":
                return [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*trail, nxt])) is not None:
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])) is not None:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_datasets_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "datasets.builder" in graph["datasets.debian_music"]
    assert find_cycle(graph) is None
