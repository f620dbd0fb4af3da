"""Which Jacobians of a derivation change when one node's value changes (Collins's Question 1c: which are sensitive
to the input x_1?).

A Jacobian changes with a node when its simplified formula reads that node or any value computed from it: the
nodes downstream of it in the unrolled graph, and the abbreviations (a^{(t)}) that read them. The answer is about
the formulas as derived for the chosen activation: with g the identity, diag(g'(a)) is I and reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .derivation import Derivation
from .expr import Node, walk
from .jac import JEdge


@dataclass(frozen=True)
class Sensitivity:
    """One Jacobian: its edge, whether it changes with the node, and the values it reads that do."""

    edge: JEdge
    changes: bool
    reads: tuple[Node, ...]
    """The values the formula reads that are computed from the node (the node itself included)."""


def downstream(derivation: Derivation, ident: str) -> set[str]:
    """The node ``ident``, every node computed from it, and every abbreviation (a^{(t)}) that reads one of them."""
    graph = derivation.graph
    graph.node(ident)
    found, pending = {ident}, [ident]
    while pending:
        for edge in graph.successors[pending.pop()]:
            if edge.target not in found:
                found.add(edge.target)
                pending.append(edge.target)
    changed = True
    while changed:  # abbreviations may read abbreviations
        changed = False
        for node, definition in graph.inline:
            if node.ident not in found and any(isinstance(item, Node) and item.ident in found
                                               for item in walk(definition)):
                found.add(node.ident)
                changed = True
    return found


def sensitivities(derivation: Derivation, jacobians: tuple[tuple[JEdge, object], ...], ident: str
                  ) -> tuple[Sensitivity, ...]:
    """For each listed Jacobian (edge, formula), whether it changes with the value of node ``ident``."""
    varying = downstream(derivation, ident)
    found = []
    for edge, formula in jacobians:
        reads = tuple(dict.fromkeys(item for item in walk(formula) if isinstance(item, Node) and item.ident in varying))
        found.append(Sensitivity(edge, bool(reads), reads))
    return tuple(found)
