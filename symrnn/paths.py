"""Directed paths of the unrolled graph: counted exactly, and listed in a stable order."""

from __future__ import annotations

import sys
from contextlib import contextmanager
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
    the path through h^{(1)} comes before the one through h^{(2)}, as in Collins's questions.
    """
    return tuple(iter_paths(graph, source, target))


def iter_paths(graph: Graph, source: str, target: str) -> Iterator[Path]:
    """The paths of ``list_paths`` one at a time, so that the first few of very many cost little.

    Depth first with one path under construction and, for each node on it, the successors still to
    try: memory grows with the length of one path, not with the number of paths.
    """
    reach = _reaching(graph, target)
    if source not in reach:
        return
    path = [source]
    pending = [_onward(graph, reach, source)]
    while pending:
        step = next(pending[-1], None)
        if step is None:
            pending.pop()
            path.pop()
        elif step == target:
            yield tuple(path) + (step,)
        else:
            path.append(step)
            pending.append(_onward(graph, reach, step))


def _reaching(graph: Graph, target: str) -> set[str]:
    """The nodes from which a path leads to ``target`` (listing needs only that, not the counts, whose digits
    would take memory growing as n²)."""
    reach = {target}
    for node in reversed(graph.nodes):
        if any(e.target in reach for e in graph.successors[node.ident]):
            reach.add(node.ident)
    return reach


def _onward(graph: Graph, reach: set[str], node: str) -> Iterator[str]:
    """The successors of ``node`` from which the target can be reached, earliest first."""
    return (e.target for e in graph.successors[node] if e.target in reach)


@contextmanager
def exact_digits() -> Iterator[None]:
    """Let an exact count of any size become text (Python refuses to print integers of over 4,300 digits,
    a guard against slow conversions of untrusted text; the count of gru's paths at n = 10,000 has 6,000)."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:  # Python before 3.11 (and 3.10.7) has no such limit
        yield
        return
    before = get()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


def edges_of(path: Path) -> tuple[tuple[str, str], ...]:
    """The (source, target) pairs along a path, first edge first."""
    return tuple(zip(path, path[1:]))
