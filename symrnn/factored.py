"""The factored form: back-propagation through time as a recursion, linear in n.

Instead of a sum over paths (n for the Elman RNN, about 4^n for a GRU), every node v on
some path from the variable to the loss gets its gradient ∇_v L, written through the
gradients of the nodes that read it:

    ∇_v L = Σ_w D(v → w)^T ∇_w L                        (w a successor of v on such a path)

and the gradient of the variable is one local term per edge leaving it, in its own shape
(Goodfellow's 10.22-10.28). A node outside time with a single successor (l, q) is folded
into the line of the node before it, the way a person writes ∇_{h^{(n)}} L = V^T (softmax(l) - e_y).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .calculus import in_shape, product, simplify
from .graph import Graph
from .jac import Jac, JEdge, JGrad, JIdentity, JProduct, JSum, JTranspose
from .paths import _counts_to


@dataclass(frozen=True)
class Recursion:
    """∇_v L: named (D(v → w)^T ∇_w L summed) and expanded (each D by its formula)."""

    grad: JGrad
    named: Jac
    expanded: Jac


@dataclass(frozen=True)
class Factored:
    """The recursion for every node that needs one (loss end first) and the gradient's local terms."""

    recursions: tuple[Recursion, ...]
    terms: tuple[Jac, ...]
    jacobians: tuple[tuple[JEdge, Jac], ...]

    @cached_property
    def formulas(self) -> dict[Jac, Jac]:
        """What each ∇_v L stands for, for numeric evaluation."""
        return {r.grad: r.expanded for r in self.recursions}


def factor(graph: Graph, wrt: str, loss: str) -> Factored:
    """The factored form of ∂loss/∂wrt on the unrolled graph (no path is enumerated)."""
    return factor_many(graph, (wrt,), loss)[0]


def factor_many(graph: Graph, wrts: tuple[str, ...], loss: str) -> tuple[Factored, ...]:
    """The factored form of ∂loss/∂w for each w in wrts, all sharing one recursion: a line for every node
    between any of them and the loss (the whole gradient, as back-propagation computes it)."""
    relevant = set().union(*(_between(graph, wrt, loss) for wrt in wrts))
    lined = tuple(v for v in reversed([n.ident for n in graph.nodes])
                  if v in relevant and _has_line(graph, v, relevant, loss))
    shared: dict[tuple[str, str], None] = {}
    recursions = tuple(_recursion(graph, v, loss, relevant, shared) for v in lined)
    return tuple(_factored(graph, wrt, loss, relevant, recursions, dict(shared)) for wrt in wrts)


def _factored(graph: Graph, wrt: str, loss: str, relevant: set[str], recursions: tuple[Recursion, ...],
              used: dict) -> Factored:
    terms = tuple(_term(graph, e, loss, relevant, used) for e in graph.successors[wrt]
                  if e.target in relevant or e.target == loss)
    return Factored(recursions, terms, tuple((JEdge(*e), graph.edge[e].jacobian) for e in used))


def _between(graph: Graph, wrt: str, loss: str) -> set[str]:
    """The nodes strictly between wrt and loss on some path."""
    reaches_loss = {v for v, count in _counts_to(graph, loss).items() if count}
    seen, pending = set(), [wrt]
    while pending:
        for edge in graph.successors[pending.pop()]:
            if edge.target not in seen and edge.target in reaches_loss:
                seen.add(edge.target)
                pending.append(edge.target)
    return seen - {wrt, loss}


def _onward(graph: Graph, v: str, loss: str, relevant: set[str]) -> list[str]:
    return [e.target for e in graph.successors[v] if e.target in relevant or e.target == loss]


def _has_line(graph: Graph, v: str, relevant: set[str], loss: str) -> bool:
    """A node gets its own ∇ line unless it passes the gradient straight on: outside time with one
    successor (l, q), or with one successor through D = 1 (L^{(t)} in L = Σ_t L^{(t)})."""
    onward = [e for e in graph.successors[v] if e.target in relevant or e.target == loss]
    if len([e for e in onward if e.target in relevant]) > 1:
        return True
    timed = getattr(graph.by_ident[v].value, "time", None) is not None
    return timed and not (len(onward) == 1 and isinstance(onward[0].jacobian, JIdentity))


def _chain(graph: Graph, v: str, w: str, loss: str, relevant: set[str]) -> tuple[tuple[tuple[str, str], ...], str]:
    """The edges from v through w and on through folded nodes, and where they stop (a lined node or the loss)."""
    edges = [(v, w)]
    while w != loss and not _has_line(graph, w, relevant, loss):
        nxt = _onward(graph, w, loss, relevant)[0]
        edges.append((w, nxt))
        w = nxt
    return tuple(edges), w


def _through(graph: Graph, v: str, w: str, loss: str, relevant: set[str], used: dict) -> tuple[Jac, Jac]:
    """D(v → ... → stop)^T ∇_stop L, named and expanded; the loss's own gradient is 1."""
    edges, stop = _chain(graph, v, w, loss, relevant)
    used.update((e, None) for e in edges)
    shown = [e for e in edges if not isinstance(graph.edge[e].jacobian, JIdentity)] or list(edges[:1])
    named = JTranspose(JProduct(tuple(JEdge(*e) for e in reversed(shown))))
    expanded = JTranspose(product(tuple(graph.edge[e].jacobian for e in reversed(edges))))
    tail = () if stop == loss else (JGrad(stop, loss),)
    return (simplify(JProduct((named,) + tail)), simplify(JProduct((expanded,) + tail)))


def _recursion(graph: Graph, v: str, loss: str, relevant: set[str], used: dict) -> Recursion:
    parts = [_through(graph, v, w, loss, relevant, used) for w in _onward(graph, v, loss, relevant)]
    named, expanded = ([p[i] for p in parts] for i in (0, 1))
    return Recursion(JGrad(v, loss), _sum(named), _sum(expanded))


def _sum(terms: list[Jac]) -> Jac:
    return terms[0] if len(terms) == 1 else simplify(JSum(tuple(terms)))


def _term(graph: Graph, edge, loss: str, relevant: set[str], used: dict) -> Jac:
    """One local term of the gradient in the variable's shape: D(wrt → v)^T ∇_v L, reshaped
    (an outer product ∇ x^T where the edge is a weight matrix's)."""
    first = graph.edge[(edge.source, edge.target)].jacobian
    used[(edge.source, edge.target)] = None
    return in_shape(first, _column(graph, edge.target, loss, relevant, used))


def _column(graph: Graph, v: str, loss: str, relevant: set[str], used: dict) -> Jac | None:
    """∇_v L as a column: its name when v has a line, its folded chain otherwise; None for the loss."""
    if v == loss:
        return None
    if _has_line(graph, v, relevant, loss):
        return JGrad(v, loss)
    return _through(graph, v, _onward(graph, v, loss, relevant)[0], loss, relevant, used)[1]
