"""The derivation: ∂loss/∂wrt as a sum over paths of products of Jacobians.

``derive`` is the whole pipeline in one function: unroll, list the paths,
name the products that make the sum short (A, B^{t} as in Collins's questions), expand and
simplify every term, and write each path's contribution in the shape of the
variable (outer products such as diag(g'(a^{(t)})) δ x^{(t)T}).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .calculus import in_shape, product
from .errors import InputError
from .expr import Node
from .factored import Factored, factor, factor_many
from .graph import GENERIC, Graph, unroll
from .jac import Jac, JEdge, JIdentity, JName, JProduct, JTranspose
from .limits import MAX_PATHS
from .models import Model
from .notebook import Displayed
from .paths import Path, count_paths, edges_of, list_paths


@dataclass(frozen=True)
class PathTerm:
    """One path and its term: named (with shorthands), expanded, and in the variable's shape."""

    nodes: Path
    named: Jac
    expanded: Jac
    shaped: Jac


@dataclass(frozen=True)
class Shorthand:
    """A named product such as A = D(q→o) D(l→q) D(h^{(3)}→l), and its simplified formula."""

    name: JName
    definition: Jac
    formula: Jac


@dataclass(frozen=True, repr=False)
class Derivation(Displayed):
    """Everything the renderers and the numeric check need; immutable. In Jupyter it shows itself as Markdown."""

    graph: Graph
    wrt: str
    loss: str
    path_count: int
    paths: tuple[PathTerm, ...]
    shorthands: tuple[Shorthand, ...]
    jacobians: tuple[tuple[JEdge, Jac], ...]
    factored: Factored | None = None
    """The recursion form (``--form factored`` or ``both``); None when only paths were asked for."""
    entry: tuple[int, ...] | None = None
    """--wrt W[i,j]: the entry of the parameter asked about (0-based), whose derivative is that entry of the
    gradient (or that column of a vector's Jacobian); the derivation itself is the whole parameter's."""

    @property
    def model(self) -> Model:
        return self.graph.model

    def summary(self) -> str:
        return f"d{self.loss}/d{self.wrt} of {self.model.name}, n = {self.steps}, {self.path_count} paths"

    @property
    def steps(self) -> int:
        return self.graph.steps

    @cached_property
    def formulas(self) -> dict[Jac, Jac]:
        """The formula behind every named Jacobian (D(a→b), A, B^{t})."""
        named: dict[Jac, Jac] = {edge: formula for edge, formula in self.jacobians}
        named.update({s.name: s.formula for s in self.shorthands})
        if self.factored is not None:
            named.update({edge: formula for edge, formula in self.factored.jacobians})
            named.update(self.factored.formulas)
        return named

    @property
    def vector_loss(self) -> bool:
        """Whether the differentiated value is a vector (--loss o[0]): its derivative is a Jacobian, not a gradient."""
        return self.graph.node(self.loss).shape != ()

    @property
    def form(self) -> str:
        """Which forms it holds: paths, factored or both."""
        if self.factored is None:
            return "paths"
        return "both" if self.paths else "factored"


FORMS = ("auto", "paths", "factored", "both")

AUTO_PATHS = 64
"""With --form auto (the default), a derivation lists its paths when there are at most this many,
and otherwise gives the factored form (with the count, and how to list them)."""


def derive(model: Model, steps: int, wrt: str | None = None, loss: str | None = None,
           activation: str = GENERIC, max_paths: int = MAX_PATHS, position: int | None = None,
           form: str = "paths") -> Derivation:
    """Derive ∂loss/∂wrt for ``model`` unrolled over ``steps`` steps (a positional readout at ``position``),
    as a sum over paths, as the factored recursion, or both (``form``; auto picks by AUTO_PATHS)."""
    graph = unroll(model, steps, activation, position)
    wrt = wrt or model.default_wrt
    loss = loss or model.loss
    _validate(graph, wrt, loss)
    vector = graph.node(loss).shape != ()
    if vector and form in ("factored", "both"):
        raise InputError(f"--loss {loss} is a vector: its derivative is a Jacobian, written as the sum over paths "
                         f"(--form paths); the factored form needs a number to back-propagate")
    count = count_paths(graph, wrt, loss)
    if count == 0:  # the loss does not depend on wrt: the answer is 0, and the document says why
        return Derivation(graph, wrt, loss, 0, (), (), (), None)
    if form == "auto":
        form = "paths" if count <= AUTO_PATHS or vector else "factored"
    factored = factor(graph, wrt, loss) if form in ("factored", "both") else None
    if form == "factored":
        return Derivation(graph, wrt, loss, count, (), (), (), factored)
    if count > max_paths:
        raise InputError(f"{count} paths lead from {wrt} to {loss}, more than --max-paths {max_paths}; "
                         f"use --form factored (its size grows linearly in n) or raise --max-paths")
    edge_lists = [tuple(reversed(edges_of(p))) for p in list_paths(graph, wrt, loss)]
    suffix = _common_suffix(graph, edge_lists)
    names = _names(graph, model, suffix)
    shorthands = _shorthands(graph, edge_lists, names)
    terms = tuple(_term(graph, edges, names, vector) for edges in edge_lists)
    return Derivation(graph, wrt, loss, count, terms, shorthands, _jacobians(graph, edge_lists), factored)


def derive_whole(model: Model, steps: int, loss: str | None = None, activation: str = GENERIC,
                 position: int | None = None) -> tuple[Derivation, ...]:
    """The whole gradient: ∂loss/∂p for every parameter p the loss depends on, in the model's order, each in
    the factored form and all sharing one recursion (a line for every node between a parameter and the loss)."""
    graph = unroll(model, steps, activation, position)
    loss = loss or model.loss
    _validate_loss(graph, loss)
    counts = {p: count_paths(graph, p, loss) for p in model.param_names}
    wrts = tuple(p for p, count in counts.items() if count)
    if not wrts:
        raise InputError(f"{loss} depends on no parameter at n = {steps}; choose another --loss")
    return tuple(Derivation(graph, wrt, loss, counts[wrt], (), (), (), factored)
                 for wrt, factored in zip(wrts, factor_many(graph, wrts, loss)))


def _validate_loss(graph: Graph, loss: str) -> None:
    if graph.node(loss).shape != ():
        raise InputError(f"--wrt all needs a number to differentiate; --loss {loss} is a vector (give --wrt NAME "
                         f"for its Jacobian)")


def _validate(graph: Graph, wrt: str, loss: str) -> None:
    graph.node(loss)
    graph.node(wrt)
    if wrt == loss:
        raise InputError(f"--wrt {wrt} is the loss itself; choose a parameter, an input or a node it depends on")


def _is_transition(graph: Graph, edge: tuple[str, str]) -> bool:
    """h^{(t)} → h^{(t+1)}: the same state at consecutive steps."""
    a, b = graph.by_ident[edge[0]].value, graph.by_ident[edge[1]].value
    return (isinstance(a, Node) and isinstance(b, Node) and a.name == b.name
            and a.time is not None and b.time == a.time + 1)


def _common_suffix(graph: Graph, edge_lists: list[tuple[tuple[str, str], ...]]) -> tuple[tuple[str, str], ...]:
    """The edges every path ends with (loss end first), up to the first recurrent transition,
    never including a path's first edge (the one leaving the variable)."""
    shortest = min(len(edges) for edges in edge_lists)
    suffix = []
    for k in range(shortest - 1):
        edge = edge_lists[0][k]
        if _is_transition(graph, edge) or any(edges[k] != edge for edges in edge_lists):
            break
        suffix.append(edge)
    return tuple(suffix) if len(suffix) >= 2 else ()


def _names(graph: Graph, model: Model, suffix: tuple[tuple[str, str], ...]) -> dict[tuple, JName]:
    """Shorthand names: the common suffix as one key, each transition h^{(t)} → h^{(t+1)} as B^{t}."""
    names: dict[tuple, JName] = {suffix: JName(model.suffix_letter)} if suffix else {}
    letters: dict[str, str] = {}
    for edge in graph.edge:
        if _is_transition(graph, edge):
            source = graph.by_ident[edge[0]].value
            assert isinstance(source, Node) and source.time is not None  # a transition is between timed states
            letter = letters.setdefault(source.name, _transition_letter(model, len(letters)))
            names[edge] = JName(letter, source.time + source.offset)
    return names


TRANSITION_LETTERS = "BCEFGHJKMNPRST"
"""Letters for the transitions of a second, third ... recurrent state (C^t for a stacked layer 2):
never A (the common suffix) or D (a Jacobian D(a → b))."""


def _transition_letter(model: Model, index: int) -> str:
    if index == 0:
        return model.transition_letter
    return [c for c in TRANSITION_LETTERS if c != model.transition_letter][index - 1]


def _named_factors(graph: Graph, edges: tuple[tuple[str, str], ...],
                   names: dict[tuple, JName]) -> tuple[tuple[Jac, tuple], ...]:
    """(factor, the edges it stands for) along one path, loss end first."""
    factors: list[tuple[Jac, tuple]] = []
    suffix = next((key for key, name in names.items() if name.index is None), ())
    if suffix and edges[:len(suffix)] == suffix:
        factors.append((names[suffix], suffix))
        edges = edges[len(suffix):]
    for edge in edges:
        factors.append((names.get(edge, JEdge(*edge)), (edge,)))
    upstream = tuple(f for f in factors[:-1] if not _trivial(f[0], graph))
    return upstream + tuple(factors[-1:])


def _trivial(factor: Jac, graph: Graph) -> bool:
    """D(L^{(t)} → L) = 1 in a sum of losses: a factor a person leaves out (never the first edge,
    which the gradient in the variable's shape is built from)."""
    return isinstance(factor, JEdge) and isinstance(graph.edge[(factor.source, factor.target)].jacobian, JIdentity)


def _shorthands(graph: Graph, edge_lists, names: dict[tuple, JName]) -> tuple[Shorthand, ...]:
    """Every shorthand the terms use, in order of first use, with its definition and formula."""
    seen: dict[JName, tuple] = {}
    for edges in edge_lists:
        for named, covered in _named_factors(graph, edges, names):
            if isinstance(named, JName) and named not in seen:
                seen[named] = covered
    return tuple(
        Shorthand(name, _edge_product(covered), product(tuple(graph.edge[e].jacobian for e in covered)))
        for name, covered in seen.items()
    )


def _edge_product(edges: tuple[tuple[str, str], ...]) -> Jac:
    symbols = tuple(JEdge(*e) for e in edges)
    return symbols[0] if len(symbols) == 1 else JProduct(symbols)


def _term(graph: Graph, edges: tuple[tuple[str, str], ...], names: dict[tuple, JName],
          vector: bool = False) -> PathTerm:
    named = tuple(factor for factor, _ in _named_factors(graph, edges, names))
    expanded = product(tuple(graph.edge[e].jacobian for e in edges))
    nodes = tuple(e[1] for e in reversed(edges))
    path = (edges[-1][0],) + nodes
    whole = named[0] if len(named) == 1 else JProduct(named)
    shaped = whole if vector else _shaped(graph, graph.edge[edges[-1]].jacobian, named[:-1])  # a Jacobian: no shape
    return PathTerm(path, whole, expanded, shaped)


def _shaped(graph: Graph, first: Jac, upstream: tuple[Jac, ...]) -> Jac:
    """A path's contribution in the variable's own shape: (upstream · first)^T, reshaped. A Jacobian without a
    shorthand is written out, as ``first`` is, so the term reads in formulas and defined letters only (never a
    transposed D(a → b) beside an expanded diag)."""
    written = tuple(graph.edge[(f.source, f.target)].jacobian if isinstance(f, JEdge) else f for f in upstream)
    return in_shape(first, JTranspose(JProduct(written)) if written else None)


def _jacobians(graph: Graph, edge_lists) -> tuple[tuple[JEdge, Jac], ...]:
    """Each edge on some path, in order of first appearance, with its formula."""
    seen: dict[tuple[str, str], None] = {}
    for edges in edge_lists:
        seen.update((e, None) for e in edges if e not in seen)
    return tuple((JEdge(*e), graph.edge[e].jacobian) for e in seen)
