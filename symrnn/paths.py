"""Directed paths of the unrolled graph: counted exactly, and listed in a stable order."""

from __future__ import annotations

from typing import Iterator

from .graph import Graph

Path = tuple[str, ...]


def count_paths(graph: Graph, source: str, target: str) -> int:
    """The exact number of directed paths from ``source`` to ``target``, without listing them.

    Dynamic programming over the nodes in reverse topological order: the number of
    paths from a node is the sum over its successors.
    """
    return _counts_to(graph, target).get(source, 0)


def _counts_to(graph: Graph, target: str) -> dict[str, int]:
    counts: dict[str, int] = {target: 1}
    for node in reversed(graph.nodes):
        if node.ident != target:
            counts[node.ident] = sum(counts.get(e.target, 0) for e in graph.successors[node.ident])
    return counts


def list_paths(graph: Graph, source: str, target: str) -> tuple[Path, ...]:
    """Every directed path from ``source`` to ``target``, earliest first step first.

    At each node the successors are taken in topological order, so for the Elman RNN
    the path through h^{(1)} comes before the one through h^{(2)}, as in seed 000.
    """
    return tuple(iter_paths(graph, source, target))


def iter_paths(graph: Graph, source: str, target: str) -> Iterator[Path]:
    """The paths of ``list_paths`` one at a time, so that the first few of very many cost little."""
    counts = _counts_to(graph, target)
    stack: list[Path] = [(source,)] if counts.get(source) else []
    while stack:
        path = stack.pop()
        if path[-1] == target:
            yield path
            continue
        onward = [e.target for e in graph.successors[path[-1]] if counts.get(e.target)]
        stack.extend(path + (nxt,) for nxt in reversed(onward))


def edges_of(path: Path) -> tuple[tuple[str, str], ...]:
    """The (source, target) pairs along a path, first edge first."""
    return tuple(zip(path, path[1:]))
