"""From a derivation to a document: every piece of LaTeX the templates lay out.

``present`` turns the pure data of a derivation (plus an optional check report and
value) into a ``Document`` of strings; templates and the JSON writer only arrange it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import __version__
from .activations import ACTIVATIONS
from .derivation import Derivation
from .expr import Node, Ref, walk
from .graph import GENERIC, Graph
from .jac import Jac, JBlock, JEdge, JKron, JLogSoftmax, JNeg, JOuter, JProduct, JSum
from .latex import NotationPrinter
from .models import ZERO, Model
from .notebook import Displayed
from .report import CheckReport

LINE_WIDTH = 56
"""Visible characters per displayed line, a continuation line's indent included; longer products are
broken. Calibrated by compiling the widest derivations (tests/test_rendering.py checks for overfull lines)."""

_MARKUP = re.compile(r"\\(?:operatorname|mathbf|tilde|hat|left|right(?!arrow))|\\[,;! ]|[{}^_ ]")
_SYMBOL = re.compile(r"\\[a-zA-Z]+")
_RELATION = re.compile(r"\\(?:rightarrow|otimes|odot)")
"""Binary operators and relations take about three characters with their spacing."""

NOTES = (
    (JBlock, r"$V_{[k]}$ is the block of $V$'s columns that multiplies the $k$-th part of a "
             r"$\operatorname{CONCAT}$: $V \operatorname{CONCAT}(u, v) = V_{[1]} u + V_{[2]} v$."),
    (JKron, r"$\operatorname{vec}$ stacks a matrix's columns; the Jacobian of $W v$ with respect to "
            r"$\operatorname{vec}(W)$ is $v^{\top} \otimes I$, and in the matrix's own shape a row "
            r"$u$ coming down a path contributes the outer product $u^{\top} v^{\top}$."),
    (JLogSoftmax, r"$\operatorname{LS}$ is log-softmax; its Jacobian is $I - \mathbf{1}\,"
                  r"\operatorname{softmax}(l)^{\top}$, and $-e_y^{\top}(I - \mathbf{1}\,"
                  r"\operatorname{softmax}(l)^{\top}) = (\operatorname{softmax}(l) - e_y)^{\top}$ "
                  r"because $e_y^{\top}\mathbf{1} = 1$."),
)
"""Sentences explaining a rule, shown when a derivation uses a Jacobian of that kind."""


@dataclass(frozen=True)
class Equation:
    lhs: str
    rhs: str
    note: str = ""


@dataclass(frozen=True)
class PathView:
    """One path: its nodes, and its term named, expanded and shaped, each also as display lines."""

    nodes: tuple[str, ...]
    chain: str
    named: str
    expanded: tuple[str, ...]
    shaped: str
    named_lines: tuple[str, ...]
    shaped_lines: tuple[str, ...]


@dataclass(frozen=True)
class Named:
    symbol: str
    definition: str
    formula: str


@dataclass(frozen=True)
class Value:
    """The gradient at the user's values: its shape, numbers, and a LaTeX matrix; and the worked numbers behind
    it, the forward pass and the backward pass (``worked.Numbered``)."""

    shape: tuple[int, ...]
    numbers: object
    latex: str
    forward: tuple = ()
    backward: tuple = ()
    digits: int = 4
    """Significant digits the LaTeX shows."""
    given: tuple = ()
    """The values themselves, when symrnn drew them (--numbers)."""
    size: int = 2
    """Every dimension of the values symrnn drew (--numbers --size)."""
    entry_numbers: object = None
    """--wrt W[i,j]: the derivative with respect to that entry (a number, or a vector's Jacobian column)."""
    entry_latex: str = ""


@dataclass(frozen=True, repr=False)
class Document(Displayed):
    """Everything a template needs, as strings and tuples of strings. In Jupyter it shows itself as Markdown."""

    version: str
    model: str
    title: str
    source: str
    steps: int
    wrt: str
    loss: str
    activation: str
    derivative: str
    wrt_latex: str
    loss_latex: str
    shape: str
    equations: tuple[Equation, ...]
    path_count: int
    paths: tuple[PathView, ...]
    shorthands: tuple[Named, ...]
    jacobians: tuple[Named, ...]
    notes: tuple[str, ...]
    check: CheckReport | None = None
    value: Value | None = None
    form: str = "paths"
    recursions: tuple[Named, ...] = ()
    """∇_v L for each node of the factored form: symbol, named recursion, expanded (as strings)."""
    recursion_lines: tuple[tuple[str, ...], ...] = ()
    """The same, each as display lines: "= first term", "+ next term", ..., "= first expanded term", ..."""
    factored: tuple[tuple[str, ...], ...] = ()
    """The factored gradient's local terms, each as display lines."""
    jacobians_by_step: tuple[Equation, ...] = ()
    """The factored form's Jacobians, those that differ only in their step written once with t (``by_step``)."""
    scalar: bool = False
    """Every value is a number: no shapes to speak of, notes in scalar words."""
    figure_tikz: str = ""
    """The unrolled graph with the paths drawn thick (``--figure``): TikZ, and the same as Mermaid, and a caption."""
    figure_mermaid: str = ""
    figure_caption: str = ""
    """In LaTeX (the model's symbols as math)."""
    depends_on: str = ""
    """--depends-on: the node's identifier; ``sensitivities`` then holds, for each Jacobian, its LaTeX, whether it
    changes with that node, and the LaTeX of the values it reads that do."""
    depends_on_latex: str = ""
    sensitivities: tuple[tuple[str, bool, str], ...] = ()
    sensitivity_reads: tuple[tuple[str, ...], ...] = ()
    """The identifiers each Jacobian reads that change with the node (for JSON)."""
    generic: bool = False
    """The model's generic g is left generic (a concrete one can change which Jacobians depend on a node)."""
    entry: str = ""
    """--wrt W[i,j]: the entry's LaTeX (W_{1,2}), and the derivative with respect to it."""
    entry_derivative: str = ""
    holds_from: int = 1
    """--steps N: the smallest N the general form holds for (below it, the boundary steps meet), and the largest
    it was checked at."""
    holds_to: int = 0
    path_formula: str = ""
    """--steps N: the number of paths as a formula in N (empty when no simple one fits)."""
    entry_index: tuple[int, ...] = ()
    """The entry's indices as the model counts them (from 0 in Deng and Finlayson, from 1 elsewhere)."""
    vector_loss: bool = False
    """The differentiated value is a vector (--loss o[0]): the answer is its Jacobian, over vec of the variable."""
    edge_symbol: str = r"D(a \rightarrow b)"
    """How the text names an edge's Jacobian (∂b/∂a in the Leibniz notation), and its transpose in a recursion."""
    back_symbol: str = r"D(v \rightarrow w)^{\top}"

    def summary(self) -> str:
        return f"d{self.loss}/d{self.wrt} of {self.model}, n = {self.steps}, {self.path_count} paths"


@dataclass(frozen=True, repr=False)
class Whole(Displayed):
    """The whole gradient: a document per parameter (in the factored form, all with the same recursion),
    and what they share, each once. In Jupyter it shows itself as Markdown."""

    parts: tuple[Document, ...]
    jacobians: tuple[Named, ...]
    jacobians_by_step: tuple[Equation, ...]
    """Every part's Jacobians grouped by step, once for all (the parts' own are left empty)."""
    notes: tuple[str, ...]
    independent: tuple[str, ...]
    """The parameters the loss does not depend on (LaTeX), whose gradient is 0."""

    @property
    def first(self) -> Document:
        return self.parts[0]

    def summary(self) -> str:
        return f"the gradient of {self.first.loss} of {self.first.model}, n = {self.first.steps}, " \
               f"{len(self.parts)} parameters"

    @property
    def check(self) -> CheckReport | None:
        """Every part's check as one report (same seed, sizes and values), or None when nothing was checked."""
        reports = [part.check for part in self.parts if part.check is not None]
        if not reports:
            return None
        return replace(reports[0], results=tuple(result for report in reports for result in report.results))


def present_whole(derivations: tuple[Derivation, ...], checks: tuple[CheckReport | None, ...],
                  values: tuple[Value | None, ...], notation: str = "jacobian") -> Whole:
    """The whole gradient's document, in its model's notation."""
    parts = tuple(_document(d, c, v, (), notation) for d, c, v in zip(derivations, checks, values))  # Jacobians below
    graph, printer = derivations[0].graph, NotationPrinter(derivations[0].graph, notation=notation)
    derived = {d.wrt for d in derivations}
    return Whole(
        parts=parts,
        jacobians=tuple(dict.fromkeys(j for part in parts for j in part.jacobians)),
        jacobians_by_step=by_step(graph, tuple(dict.fromkeys(pair for d in derivations for pair in _all_jacobians(d))),
                                  notation),
        notes=tuple(dict.fromkeys(note for part in parts for note in part.notes)),
        independent=tuple(printer.ident(p) for p in graph.model.param_names if p not in derived),
    )


def present(derivation: Derivation, check: CheckReport | None = None, value: Value | None = None,
            notation: str = "jacobian") -> Document:
    """The document of a derivation, in its model's notation; ``notation`` "leibniz" writes each edge's Jacobian
    as ∂b/∂a instead of D(a → b)."""
    grouped = () if derivation.factored is None else by_step(derivation.graph, _all_jacobians(derivation), notation)
    return _document(derivation, check, value, grouped, notation)


def _document(derivation: Derivation, check: CheckReport | None, value: Value | None,
              jacobians_by_step: tuple[Equation, ...], notation: str = "jacobian") -> Document:
    graph, printer = derivation.graph, NotationPrinter(derivation.graph, notation=notation)
    entry, entry_derivative = _entry_fields(derivation, printer)
    wrt_node = graph.node(derivation.wrt)
    wrt_latex = printer.ident(derivation.wrt)
    return Document(
        version=__version__, model=graph.model.name, title=graph.model.title, source=graph.model.source,
        steps=graph.steps, wrt=derivation.wrt, loss=derivation.loss, activation=graph.activation,
        derivative=rf"\frac{{\partial {printer.ident(derivation.loss)}}}{{\partial {wrt_latex}}}",
        wrt_latex=wrt_latex,
        loss_latex=printer.ident(derivation.loss),
        shape=r" \times ".join(printer.doprint(d) for d in wrt_node.shape) or "1",
        equations=model_equations(graph.model, printer, printer.last),
        path_count=derivation.path_count,
        paths=tuple(_path_view(term, printer) for term in derivation.paths),
        shorthands=tuple(Named(printer.doprint(s.name), printer.doprint(s.definition), printer.doprint(s.formula))
                         for s in derivation.shorthands),
        jacobians=tuple(Named(printer.doprint(e), "", printer.doprint(f)) for e, f in _all_jacobians(derivation)),
        notes=_notes(derivation),
        check=check,
        value=value,
        form=derivation.form,
        recursions=_recursions(derivation, printer),
        recursion_lines=_recursion_lines(derivation, printer),
        factored=_factored_terms(derivation, printer),
        jacobians_by_step=jacobians_by_step,
        scalar=graph.model.scalar,
        vector_loss=derivation.vector_loss,
        entry=entry,
        entry_derivative=entry_derivative,
        entry_index=tuple(i + derivation.model.first_time() for i in derivation.entry or ()),
        edge_symbol=NOTATION_WORDS[notation]["edge_symbol"],
        back_symbol=NOTATION_WORDS[notation]["back_symbol"],
    )


def _entry_fields(derivation: Derivation, printer: NotationPrinter) -> tuple[str, str]:
    """--wrt W[i,j]: the entry as the model counts it (W_{0,0} in Deng and Finlayson, W_{1,1} elsewhere), and the
    derivative with respect to it."""
    if derivation.entry is None:
        return "", ""
    first = derivation.model.first_time()
    base = printer.ident(derivation.wrt)
    index = ",".join(str(i + first) for i in derivation.entry)
    entry = f"{{{base}}}_{{{index}}}" if "_" in base else f"{base}_{{{index}}}"
    return entry, rf"\frac{{\partial {printer.ident(derivation.loss)}}}{{\partial {entry}}}"


NOTATION_WORDS = {
    "jacobian": {"edge_symbol": r"D(a \rightarrow b)", "back_symbol": r"D(v \rightarrow w)^{\top}"},
    "leibniz": {"edge_symbol": r"\frac{\partial b}{\partial a}",
                "back_symbol": r"\left(\frac{\partial w}{\partial v}\right)^{\top}"},
}
"""How the text names an edge's Jacobian in each --notation."""


def with_sensitivities(document: Document, derivation: Derivation, ident: str) -> Document:
    """The document with, for each of its Jacobians, whether it changes with the value of node ``ident``."""
    from dataclasses import replace

    from .sensitivity import sensitivities

    printer = NotationPrinter(derivation.graph)
    found = sensitivities(derivation, _all_jacobians(derivation), ident)
    rows = tuple((printer.doprint(s.edge), s.changes, ", ".join(f"${printer.symbol(r)}$" for r in s.reads))
                 for s in found)
    generic = derivation.graph.activation == GENERIC and GENERIC in derivation.model.functions
    return replace(document, depends_on=ident, depends_on_latex=printer.ident(ident), sensitivities=rows,
                   sensitivity_reads=tuple(tuple(r.ident for r in s.reads) for s in found), generic=generic)


def _all_jacobians(derivation: Derivation) -> tuple:
    """Every edge Jacobian either form uses, each once, in order of first use."""
    found = dict(derivation.jacobians)
    if derivation.factored is not None:
        for edge, formula in derivation.factored.jacobians:
            found.setdefault(edge, formula)
    return tuple(found.items())


def by_step(graph: Graph, jacobians: tuple[tuple[JEdge, Jac], ...], notation: str = "jacobian",
            single: NotationPrinter | None = None, phrase=None) -> tuple[Equation, ...]:
    """Each Jacobian once, in order of first use, except that those which differ only in their step are
    written once with t and the steps they hold for: D(h^{(t-1)} \\rightarrow h^{(t)}) = ..., t = 2, ..., n.
    An edge's step is its target's (its source's when the target is outside time); an edge at a boundary
    (h^{0} \\rightarrow h^{(1)}) reads differently with t, and so keeps a line of its own. ``single`` prints a line
    of its own and ``phrase`` the steps (``--steps N`` writes both with N)."""
    printers: dict[int | None, NotationPrinter] = {None: single or NotationPrinter(graph, notation=notation)}
    groups: dict[tuple[str, str], list[tuple[int | None, JEdge, Jac]]] = {}
    for edge, formula in jacobians:
        step = _edge_step(graph, edge)
        if step not in printers:
            printers[step] = type(printers[None])(graph, at=step, notation=notation)
        printer = printers[step]
        groups.setdefault((printer.doprint(edge), printer.doprint(formula)), []).append((step, edge, formula))
    single = printers[None]
    phrase = phrase or _steps_phrase
    return tuple(Equation(*key, note=phrase([step for step, _, _ in members if step is not None]))
                 if len(members) > 1
                 else Equation(single.doprint(members[0][1]), single.doprint(members[0][2]))
                 for key, members in groups.items())


def _edge_step(graph: Graph, edge: JEdge) -> int | None:
    """The step an edge belongs to, as shown: its target's, else its source's; None outside time."""
    for ident in (edge.target, edge.source):
        value = graph.node(ident).value
        if isinstance(value, Node) and value.time is not None:
            return value.time + value.offset
    return None


def _steps_phrase(steps: list[int]) -> str:
    """t = 2, \\dots, 5 for a run of four or more steps; otherwise the steps listed (t = 1, 2, 3)."""
    ordered = sorted(steps)
    if len(ordered) > 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return rf"t = {ordered[0]}, \dots, {ordered[-1]}"
    return "t = " + ", ".join(map(str, ordered))


def _recursions(derivation: Derivation, printer: NotationPrinter) -> tuple[Named, ...]:
    if derivation.factored is None:
        return ()
    return tuple(Named(printer.doprint(r.grad), printer.doprint(r.named), printer.doprint(r.expanded))
                 for r in derivation.factored.recursions)


def _recursion_lines(derivation: Derivation, printer: NotationPrinter) -> tuple[tuple[str, ...], ...]:
    if derivation.factored is None:
        return ()
    return tuple(sum_lines(r.named, printer) + sum_lines(r.expanded, printer) for r in derivation.factored.recursions)


def sum_lines(jac, printer: NotationPrinter) -> tuple[str, ...]:
    """A sum as display lines: "= " before the first term, "+ " (or "- ") before each next one, each
    term broken to the line width; continuation lines indented."""
    terms = jac.terms if isinstance(jac, JSum) else (jac,)
    lines: list[str] = []
    for index, term in enumerate(terms):
        negative = isinstance(term, JNeg)
        broken = broken_lines(term.arg if negative and index else term, printer)
        sign = "= " if index == 0 else (r"\quad - " if negative else r"\quad + ")
        lines.append(sign + broken[0])
        lines += [r"\qquad " + line for line in broken[1:]]
    return tuple(lines)


def _factored_terms(derivation: Derivation, printer: NotationPrinter) -> tuple[tuple[str, ...], ...]:
    if derivation.factored is None:
        return ()
    return tuple(broken_lines(term, printer) for term in derivation.factored.terms)


def model_equations(model: Model, printer: NotationPrinter, steps: str) -> tuple[Equation, ...]:
    """The model's equations: the step (for t = 1..n), the initial state, the readout."""
    first = model.first_time()
    forward = f"t = {first}" if steps == str(first) else rf"t = {first}, \dots, {steps}"
    backward = f"t = {first}" if steps == str(first) else rf"t = {steps}, \dots, {first}"
    lines = [Equation(printer.doprint(Ref(d.name)), printer.doprint(d.expr), backward if d.backward else forward)
             for d in model.step]
    lines += [_initial_equation(model, printer, state, init, steps) for state, init in model.initial]
    lines += [Equation(d.latex, printer.doprint(d.expr)) for d in model.readout]
    return tuple(lines)


def _initial_equation(model: Model, printer: NotationPrinter, state: str, init: str, steps: str) -> Equation:
    """h^{(0)} = h^0 for a forward state, η^{(n+1)} = η^0 for a backward one; h^{(t)} = h^0 for t ≤ 0 where a step
    reads the state more than one step back (h[t-2])."""
    value = r"\mathbf{0}" if init == ZERO else printer.names[init]
    backward = any(d.name == state and d.backward for d in model.step)
    reach = max([abs(item.shift) for d in model.step for item in walk(d.expr)
                 if isinstance(item, Ref) and item.name == state and not item.position] + [0])
    if backward:
        after = str(int(steps) + 1) if steps.lstrip("-").isdigit() else f"{steps}+1"
        if reach > 1:
            return Equation(printer.timed(printer.names[state], "t"), value, rf"t \ge {after}")
        return Equation(printer.timed(printer.names[state], after), value)
    if reach > 1:
        return Equation(printer.timed(printer.names[state], "t"), value, rf"t \le {model.first_time() - 1}")
    return Equation(printer.symbol(Node(state, 0, model.time_offset)), value)


def _path_view(term, printer: NotationPrinter) -> PathView:
    chain = r" \rightarrow ".join(printer.ident(ident) for ident in term.nodes)
    expanded = broken_lines(term.expanded, printer)
    return PathView(term.nodes, chain, printer.doprint(term.named), expanded, printer.doprint(term.shaped),
                    broken_lines(term.named, printer), broken_lines(term.shaped, printer))


def broken_lines(jac, printer: NotationPrinter) -> tuple[str, ...]:
    """A product (or outer product) printed as lines of at most LINE_WIDTH visible characters."""
    if isinstance(jac, JOuter) and isinstance(jac.column, JProduct):
        factors = printer.factor_strings(jac.column.factors) + [printer.transposed_vector(jac.vector)]
    elif isinstance(jac, JProduct):
        factors = printer.factor_strings(jac.factors)
    else:
        return (printer.doprint(jac),)
    needed = len(_filled(factors, LINE_WIDTH))
    widths = range(-(-sum(map(visible_width, factors)) // needed), LINE_WIDTH + 1)
    lines = next(found for width in widths if len(found := _filled(factors, width)) <= needed)
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 1:  # no factor alone on the last line
        lines[-1].insert(0, lines[-2].pop())
    return tuple(r"\, ".join(line) for line in lines)


def _filled(factors: list[str], width: int) -> list[list[str]]:
    """Factors put on lines of at most ``width`` visible characters, each line filled before the next: called with
    the narrowest width that needs no more lines than LINE_WIDTH does, the lines come out even (no short last line
    holding a lone x^{(1)\top})."""
    lines: list[list[str]] = [[]]
    for factor in factors:
        if lines[-1] and sum(map(visible_width, lines[-1])) + visible_width(factor) > width:
            lines.append([])
        lines[-1].append(factor)
    return lines


def visible_width(latex: str) -> int:
    """Roughly how many characters wide a piece of LaTeX is when typeset (a command counts as one)."""
    return len(_SYMBOL.sub("x", _MARKUP.sub("", _RELATION.sub("xxx", latex)))) + 1


def _generic_note(derivation: Derivation) -> str:
    """The note on g, in the model's name for it (g, or σ in Deng and Finlayson's activities)."""
    note = ACTIVATIONS[derivation.graph.activation].note
    name = derivation.model.generic_latex
    if name == "g":
        return note
    return note.replace("$g$", f"${name}$").replace("$g'$", f"${name}'$").replace("$g ", f"${name} ")


def _notes(derivation: Derivation) -> tuple[str, ...]:
    kinds = {type(part) for _, formula in _all_jacobians(derivation) for part in walk(formula)}
    rules = tuple(text for kind, text in NOTES if kind in kinds)
    functions = derivation.model.functions
    generic = (_generic_note(derivation),) if GENERIC in functions else ()
    fixed = tuple(ACTIVATIONS[derivation.graph.function(fn)].fixed_note for fn in functions if fn != GENERIC)
    notes = generic + fixed + rules
    return tuple(_in_scalar_words(note) for note in notes) if derivation.model.scalar else notes


SCALAR_WORDS = ((r"z \odot (\mathbf{1} - z)", r"z\,(1 - z)"), (r"\mathbf{1} - h \odot h", "1 - h^2"),
                (r"\mathbf{1} - n \odot n", "1 - n^2"), (r"h \odot (\mathbf{1} - h)", r"h\,(1 - h)"),
                (", elementwise", ""), (" (elementwise; ", " ("), (", applied elementwise", ""),
                ("where a unit is active and 0 where it is not", "where the unit is active and 0 where it is not"),
                ("Every ReLU unit is assumed active", "The ReLU unit is assumed active"))
"""How a note about vectors reads in a network of numbers (the graded homework's scalar RNN)."""


def _in_scalar_words(note: str) -> str:
    for vector_words, scalar_words in SCALAR_WORDS:
        note = note.replace(vector_words, scalar_words)
    return note
