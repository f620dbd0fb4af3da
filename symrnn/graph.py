"""Unrolling: a model and a number of steps become a computational graph.

One node per value per time step (h[1], h[2], l, q, o), one per parameter (shared by
every step) and one per input x[t]; an edge a → b wherever a appears in b's
equation, carrying its local Jacobian D(a → b) built by symrnn's own rules
(``calculus.jacobian``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Callable

import sympy

from .calculus import Scope, jacobian
from .errors import InputError, MissingRule
from .expr import (
    Add,
    Apply,
    Expr,
    Label,
    MatVec,
    Mul,
    Node,
    Param,
    Ref,
    TimeSum,
    Zeros,
    leaves,
    map_children,
    walk,
)
from .jac import Jac
from .models import ZERO, Definition, Model

GENERIC = "g"


@dataclass(frozen=True)
class GraphNode:
    """A node of the unrolled graph; ``definition`` is None for parameters and inputs."""

    value: Node | Param
    kind: str
    shape: tuple[sympy.Symbol, ...]
    definition: Expr | None = None

    @property
    def ident(self) -> str:
        return self.value.ident


@dataclass(frozen=True)
class Edge:
    """a → b with its local Jacobian D(a → b), worked out when first asked for (counting
    paths needs none of them)."""

    source: str
    target: str
    definition: Expr = field(compare=False, repr=False)
    scope: Scope = field(compare=False, repr=False)

    @cached_property
    def jacobian(self) -> Jac:
        return jacobian(self.definition, self.scope)


@dataclass(frozen=True)
class Graph:
    """The unrolled graph: nodes in topological order, edges sorted by (target, source)."""

    model: Model
    steps: int
    activation: str
    nodes: tuple[GraphNode, ...]
    inline: tuple[tuple[Node, Expr], ...]
    edges: tuple[Edge, ...]
    position: int | None = None
    """The step a positional readout looks at (``--position``)."""

    @cached_property
    def by_ident(self) -> dict[str, GraphNode]:
        return {node.ident: node for node in self.nodes}

    @cached_property
    def order(self) -> dict[str, int]:
        """Position of each node in topological order: the tie-breaker for every listing."""
        return {node.ident: position for position, node in enumerate(self.nodes)}

    @cached_property
    def successors(self) -> dict[str, tuple[Edge, ...]]:
        """Outgoing edges of each node, earliest target first."""
        out: dict[str, list[Edge]] = {node.ident: [] for node in self.nodes}
        for edge in self.edges:
            out[edge.source].append(edge)
        return {ident: tuple(sorted(edges, key=lambda e: self.order[e.target])) for ident, edges in out.items()}

    @cached_property
    def inline_before(self) -> dict[str, tuple[tuple[Node, Expr], ...]]:
        """For each node, the inline abbreviations (a^{(t)}) its equation reads that no earlier node read, each
        after those it reads itself: the order a forward pass works them out in, found once per graph."""
        definitions = dict(self.inline)
        done: set[Node] = set()
        plan: dict[str, tuple[tuple[Node, Expr], ...]] = {}
        for node in self.nodes:
            needed: list[tuple[Node, Expr]] = []
            if node.definition is not None:
                _inline_needed(node.definition, definitions, done, needed)
            plan[node.ident] = tuple(needed)
        return plan

    @cached_property
    def edge(self) -> dict[tuple[str, str], Edge]:
        return {(e.source, e.target): e for e in self.edges}

    def node(self, ident: str) -> GraphNode:
        """The node with identifier ``ident``, or an InputError naming the valid ones."""
        try:
            return self.by_ident[ident]
        except KeyError:
            raise InputError(f"no node {ident!r} in {self.model.name} at n = {self.steps}; "
                             f"use one of {self.summary()}") from None

    def summary(self) -> str:
        """The node identifiers as a user types them, with time ranges folded: W_hx, ..., x[1..3], h[1..3], l, q, o
        (h[0..2] for a model counted from 0; L[1..2], L for per-step losses and their sum)."""
        times: dict[tuple[str, bool], list[str]] = {}
        for node in self.nodes:
            name, _, stamp = node.ident.partition("[")
            times.setdefault((name, bool(stamp)), []).append(stamp.rstrip("]"))
        return ", ".join(_folded(name, stamps) if timed else name for (name, timed), stamps in times.items())

    @property
    def loss(self) -> str:
        return self.model.loss

    def function(self, fn: str) -> str:
        """The transfer function a model's ``fn`` is in this graph (g replaced by the activation)."""
        return _function(fn, self.activation)


def _inline_needed(expr: Expr, definitions: dict[Node, Expr], done: set[Node],
                   needed: list[tuple[Node, Expr]]) -> None:
    """Append the inline abbreviations ``expr`` reads and are not yet ``done``, dependencies first."""
    for leaf in leaves(expr):
        if leaf in definitions and leaf not in done:
            done.add(leaf)
            _inline_needed(definitions[leaf], definitions, done, needed)
            needed.append((leaf, definitions[leaf]))


def _folded(name: str, stamps: list[str]) -> str:
    """name[first..last] over the steps a node has (a backward state is unrolled last step first)."""
    steps = sorted(int(stamp) for stamp in stamps)
    return f"{name}[{steps[0]}]" if len(steps) == 1 else f"{name}[{steps[0]}..{steps[-1]}]"


def dims(model: Model) -> dict[str, sympy.Expr]:
    """The model's dimensions as SymPy symbols (positive integers); 2*m for a multiple of m."""
    symbols: dict[str, sympy.Expr] = {}
    for dim in model.dims:
        symbols[dim.name] = (dim.times[0] * symbols[dim.times[1]] if dim.times
                             else sympy.Symbol(dim.name, integer=True, positive=True))
    return symbols


@dataclass(frozen=True)
class Unrolling:
    """What instantiating an equation needs besides the step: the model, n, g, and the position."""

    model: Model
    steps: int
    activation: str
    position: int


def unroll(model: Model, steps: int, activation: str = GENERIC, position: int | None = None) -> Graph:
    """The graph of ``model`` unrolled for ``steps`` steps, with g replaced by ``activation``; a
    readout at a ``position`` (``--position i``) looks at step i (the last step when not given)."""
    if steps < 1:
        raise InputError(f"steps must be at least 1 (got {steps})")
    _check_activation(model, activation)
    ctx = Unrolling(model, steps, activation, _position(model, steps, position))
    symbols = dims(model)
    shape = lambda names: tuple(symbols[n] for n in names)  # noqa: E731 - a local alias
    nodes = [GraphNode(Param(p.name), "parameter", shape(p.shape)) for p in model.params]
    inline: list[tuple[Node, Expr]] = []
    for t in range(1, steps + 1):
        nodes += [GraphNode(_node(model, i.name, t), "input", shape(i.shape)) for i in model.inputs]
        for definition in model.step:
            expr = _instantiate(ctx, definition.expr, t)
            if definition.inline:
                inline.append((_node(model, definition.name, t), expr))
            else:
                nodes.append(GraphNode(_node(model, definition.name, t), "state", shape(definition.shape), expr))
    for i in model.inputs:
        nodes += [GraphNode(_node(model, i.name, t), "input", shape(i.shape))
                  for t in range(steps + 1, steps + 1 + i.lookahead)]
    for definition in model.readout:
        kind = "loss" if definition.name == model.loss else "value"
        expr = _instantiate(ctx, definition.expr, steps)
        nodes.append(GraphNode(Node(definition.name), kind, shape(definition.shape), expr))
    nodes = _topological(nodes, dict(inline))
    edges = _edges(model, nodes, dict(inline), symbols)
    return Graph(model, steps, activation, tuple(nodes), tuple(inline), edges, ctx.position)


def _check_activation(model: Model, activation: str) -> None:
    relu_assumed_active = activation == ACTIVE and "relu" in model.functions
    if activation != GENERIC and GENERIC not in model.functions and not relu_assumed_active:
        fixed = ", ".join(model.functions)
        raise InputError(f"model {model.name} has no transfer function g to choose (it uses {fixed} as its "
                         f"source defines them); leave out --activation")


def _position(model: Model, steps: int, position: int | None) -> int:
    """The step a positional readout looks at: --position if given (1..n), else the last."""
    if position is None:
        return steps
    if not any(isinstance(item, Ref) and item.position for item in walk(model.step + model.readout)):
        raise InputError(f"model {model.name} has no readout at a position; leave out --position")
    if not 1 <= position <= steps:
        raise InputError(f"--position {position} is outside the sequence: give a step from 1 to {steps}")
    return position


def _topological(nodes: list[GraphNode], inline: dict[Node, Expr]) -> list[GraphNode]:
    """The nodes in the order they were made, except that a node waits for the nodes it reads
    (a backward state η^{(t)} reads η^{(t+1)}, made later). Iterative: chains are n long."""
    by_value = {node.value: node for node in nodes}
    reads = {node.value: [d for d in _dependencies(node.definition, inline) if d in by_value]
             if node.definition is not None else [] for node in nodes}
    ordered: list[GraphNode] = []
    placed: set = set()
    for root in nodes:
        stack = [(root.value, 0)]
        on_stack = {root.value}
        while stack:
            value, next_read = stack[-1]
            if value in placed:
                stack.pop()
                continue
            pending = [d for d in reads[value][next_read:] if d not in placed]
            if not pending:
                placed.add(value)
                ordered.append(by_value[value])
                on_stack.discard(value)
                stack.pop()
                continue
            stack[-1] = (value, reads[value].index(pending[0]) + 1)
            if pending[0] in on_stack:
                raise ValueError(f"the equations are cyclic at {by_value[value].ident}")
            on_stack.add(pending[0])
            stack.append((pending[0], 0))
    return ordered


def _edges(model: Model, nodes: list[GraphNode], inline: dict[Node, Expr],
           symbols: dict[str, sympy.Symbol]) -> tuple[Edge, ...]:
    """One edge per (dependency, defined node), with the local Jacobian."""
    shapes = {node.value: node.shape for node in nodes}
    shapes.update({n: tuple(symbols[d] for d in _definition(model, n.name).shape) for n in inline})
    edges = []
    for node in nodes:
        if node.definition is None:
            continue
        assert isinstance(node.value, Node)  # only nodes of the graph have a definition, never a parameter
        for source in _dependencies(node.definition, inline):
            scope = Scope(wrt=source, out=node.value, inline=inline, shapes=shapes)
            edges.append(Edge(source.ident, node.ident, node.definition, scope))
    return tuple(edges)


def _dependencies(expr: Expr, inline: dict[Node, Expr]) -> tuple[Node | Param, ...]:
    """The graph nodes an expression reads, looking through inline abbreviations."""
    found: dict[Node | Param, None] = {}
    for leaf in leaves(expr):
        for dep in (_dependencies(inline[leaf], inline) if leaf in inline else (leaf,)):
            found.setdefault(dep)
    return tuple(found)


def _definition(model: Model, name: str) -> Definition:
    return next(d for d in model.step + model.readout if d.name == name)


def _instantiate(ctx: Unrolling, expr: Expr, t: int) -> Expr:
    """Replace every Ref by the node or parameter it names at step t, a label sequence by its entry at t, g by the
    activation, Σ_t by a sum over the steps; then drop what an initial zero state zeroes (W 0, a ⊙ 0, + 0)."""
    if isinstance(expr, Ref):
        return _resolve(expr, ctx, t)
    if isinstance(expr, TimeSum):
        return Add(tuple(_instantiate(ctx, expr.term, s) for s in range(1, ctx.steps + 1)))
    if not isinstance(expr, Expr):
        raise MissingRule("unrolling", expr)
    rebuilt = map_children(expr, lambda e: _instantiate(ctx, e, t))
    changes: dict[str, object] = {f.name: _label(value, ctx, t) for f in fields(rebuilt)
                                  if isinstance(value := getattr(rebuilt, f.name), Label)}
    if isinstance(rebuilt, Apply):
        changes["fn"] = _function(rebuilt.fn, ctx.activation)
    rebuilt = replace(rebuilt, **changes) if changes else rebuilt  # type: ignore[arg-type]
    simplify = _ZEROED.get(type(rebuilt))
    return simplify(rebuilt) if simplify else rebuilt


def _node(model: Model, name: str, t: int) -> Node:
    """The node of ``name`` at step t (1-based inside; shown with the model's time offset)."""
    return Node(name, t, model.time_offset)


def _resolve(ref: Ref, ctx: Unrolling, t: int) -> Node | Param | Zeros:
    """What a reference names at step t: a parameter, a node, an initial state (before step 1, or
    after step n for a backward state)."""
    model, steps = ctx.model, ctx.steps
    if ref.name in model.param_names:
        return Param(ref.name)
    in_time = any(d.name == ref.name for d in model.step) or ref.name in (i.name for i in model.inputs)
    if not in_time:
        return Node(ref.name)
    time = steps if ref.last else ctx.position + ref.shift if ref.position else t + ref.shift
    initial = model.initial_param(ref.name)
    outside = time < 1 or (time > steps and ref.name not in (i.name for i in model.inputs))
    if outside and initial:  # every step before the first (after the last, backward) holds the initial value
        return Zeros() if initial == ZERO else Param(initial)
    if outside:
        raise InputError(f"model {model.name}: {ref.name} at time {time + model.time_offset} has no value")
    return _node(model, ref.name, time)


ACTIVE = "relu-active"
"""What ReLU becomes under the assumption that every unit is active."""


def _function(fn: str, activation: str) -> str:
    """The function an application uses: g replaced by the chosen activation; ReLU by ReLU with
    every unit active when that activation is chosen for a model whose ReLU is fixed."""
    if fn == GENERIC:
        return activation
    return ACTIVE if fn == "relu" and activation == ACTIVE else fn


def _zero_or(product: MatVec | Mul) -> Expr:
    """W 0 = 0 and a ⊙ 0 = 0: a product with a zero initial state is dropped."""
    factors = (product.matrix, product.vector) if isinstance(product, MatVec) else (product.left, product.right)
    return Zeros() if any(isinstance(f, Zeros) for f in factors) else product


def _sum_without_zeros(terms: tuple[Expr, ...]) -> Expr:
    kept = tuple(t for t in terms if not isinstance(t, Zeros))
    return Add(kept) if len(kept) > 1 else kept[0] if kept else Zeros()


def _label(label: Label, ctx: Unrolling, t: int) -> Label:
    """A label sequence's entry at step t (y^{(t)}); a single label as it is."""
    per_step = any(entry.name == label.name and entry.per_step for entry in ctx.model.labels)
    return Label(label.name, t) if per_step else label


_ZEROED: dict[type, Callable[..., Expr]] = {
    Mul: _zero_or,
    MatVec: _zero_or,
    Add: lambda e: _sum_without_zeros(e.terms),
}
"""What an initial state fixed at zero simplifies, after unrolling."""
