"""--steps N: the factored form for a general number of steps N (Deng and Finlayson §3.4 asks for length N).

The derivation is worked out at a concrete n and written back with N: a step near the end is written from N (the
last as N, the one before as N-1), a step near the start by its number; recursion lines and the gradient's local
terms that read the same relative to their own step t are written once, for the steps they hold at
(t = N-1, ..., 1; Σ_{t=1}^{N}). The result is accepted only when working it out at two different n gives the same
text, so every line shown holds for every N it names; a model whose form does not settle is refused. The number of
paths is given as a formula where one fits the exact counts (a polynomial, or a geometric series) and predicts the
next ones.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from .derivation import Derivation
from .derivation import derive as derive_one
from .errors import InputError
from .expr import Node, walk
from .jac import JGrad
from .latex import NotationPrinter
from .models import Model
from .paths import count_paths
from .present import Document, Named, broken_lines, by_step, model_equations, present, sum_lines

SAMPLE_STEPS = (6, 7)
"""The concrete n a general derivation is worked out at; both must give the same text."""

SYMBOL = "N"


class GeneralPrinter(NotationPrinter):
    """Steps near the end written from N (N, N-1, ...), steps near the start by their number."""

    def __init__(self, graph, at: int | None = None, notation: str = "jacobian") -> None:
        self.n = graph.steps
        """The concrete number of steps written as N (the last step is N, or N-1 for a model counted from 0)."""
        super().__init__(graph, last=general_step(graph.steps + graph.model.time_offset, self.n), at=at,
                         notation=notation)

    def step(self, time: int) -> str:
        return general_step(time, self.n) if self.at is None else super().step(time)


def general_step(time: int, steps: int) -> str:
    """A step as shown at ``steps`` concrete steps, written for a general N steps: N, N-1 near the end."""
    if 2 * time <= steps:
        return str(time)
    return SYMBOL if time == steps else f"{SYMBOL}{time - steps:+d}"


def general_phrase(steps: list[int], last: int) -> str:
    """t = N-1, \\dots, 1 for the steps a line holds at (shown at ``last`` concrete steps), written for a general N."""
    ordered = sorted(steps)
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return rf"t = {general_step(ordered[0], last)}, \dots, {general_step(ordered[-1], last)}"
    return "t = " + ", ".join(general_step(step, last) for step in ordered)


def general_document(model: Model, wrt: str | None, loss: str | None, activation: str, position: int | None,
                     notation: str = "jacobian") -> Document:
    """The factored form of ∂loss/∂wrt for N steps, or an InputError when it does not settle into one form."""
    if position is not None:
        raise InputError("--steps N reads the last step; --position names a step of a concrete n")
    documents = [_at(derive_one(model, n, wrt, loss, activation, form="factored"), notation) for n in SAMPLE_STEPS]
    if documents[0] != replace(documents[1], version=documents[0].version):
        raise InputError(f"the factored form of {model.name} does not settle into one form for every N (it differs "
                         f"between n = {SAMPLE_STEPS[0]} and n = {SAMPLE_STEPS[1]}); give a number of steps")
    found = documents[0]
    return replace(found, holds_from=holds_from(found, model, wrt, loss, activation, notation),
                   holds_to=SAMPLE_STEPS[-1],
                   path_formula=path_formula(model, found.wrt, found.loss, activation))


def _at(derivation: Derivation, notation: str) -> Document:
    """The document of a concrete derivation, written for a general N."""
    graph = derivation.graph
    printer = GeneralPrinter(graph, notation=notation)
    last = graph.steps
    concrete = present(derivation, notation=notation)
    recursions, lines = _recursions(derivation, notation, last)
    return replace(
        concrete, steps=SYMBOL,  # type: ignore[arg-type]
        equations=model_equations(graph.model, printer, printer.last),
        path_count=-1,  # no one number: the formula, where one fits, says it (general_document adds it)
        recursions=recursions, recursion_lines=lines, factored=_terms(derivation, notation, last),
        jacobians_by_step=by_step(graph, _jacobians(derivation), notation, single=printer,
                                  phrase=lambda steps: general_phrase(steps, last)),
        jacobians=(), notes=concrete.notes)


def _jacobians(derivation: Derivation) -> tuple:
    assert derivation.factored is not None
    return derivation.factored.jacobians


def _step_of(node: Node | object) -> int | None:
    if isinstance(node, Node) and node.time is not None:
        return node.time + node.offset
    return None


def _recursions(derivation: Derivation, notation: str, last: int) -> tuple[tuple[Named, ...], tuple[tuple[str, ...],
                                                                                                      ...]]:
    """Each recursion line once for the steps it holds at (relative to its own step t), the steps noted."""
    graph, factored = derivation.graph, derivation.factored
    assert factored is not None
    groups: dict[tuple, list[int | None]] = {}
    for recursion in factored.recursions:
        step = _step_of(graph.node(recursion.grad.node).value)
        printer = GeneralPrinter(graph, at=step, notation=notation)
        key = (printer.doprint(recursion.grad), printer.doprint(recursion.named), printer.doprint(recursion.expanded),
               sum_lines(recursion.named, printer) + sum_lines(recursion.expanded, printer))
        groups.setdefault(key, []).append(step)
    named, lines = [], []
    for (symbol, definition, formula, body), steps in groups.items():
        timed = [s for s in steps if s is not None]
        note = f" && {general_phrase(timed, last)}" if timed else ""
        named.append(Named(symbol, definition, formula))
        lines.append(body[:-1] + (body[-1] + note,))
    return tuple(named), tuple(lines)


def _terms(derivation: Derivation, notation: str, last: int) -> tuple[tuple[str, ...], ...]:
    """The gradient's local terms, those that read the same relative to their step summed once over t."""
    graph, factored = derivation.graph, derivation.factored
    assert factored is not None
    absolute = GeneralPrinter(graph, notation=notation)
    groups: dict[tuple[str, ...], list] = {}  # a term's lines relative to its step → (step, term) for each
    for term in factored.terms:
        steps = [_step_of(graph.node(item.node).value) for item in walk(term) if isinstance(item, JGrad)]
        step = steps[0] if steps else None
        printer = GeneralPrinter(graph, at=step, notation=notation)
        groups.setdefault(broken_lines(term, printer), []).append((step, term))
    found = []
    for lines, members in groups.items():
        timed = sorted(step for step, _ in members if step is not None)
        if len(members) == 1:  # a term of its own (a boundary): written with N, not with t
            found.append(broken_lines(members[0][1], absolute))
            continue
        if len(timed) != len(members) or timed != list(range(timed[0], timed[-1] + 1)):
            raise InputError("the gradient's terms do not run over consecutive steps; give a number of steps")
        total = rf"\sum_{{t={general_step(timed[0], last)}}}^{{{general_step(timed[-1], last)}}} "
        found.append((total + lines[0],) + lines[1:])
    return tuple(found)


def path_formula(model: Model, wrt: str, loss: str, activation: str = "g") -> str:
    """The number of paths from wrt to the loss as a formula in N, when a polynomial (degree ≤ 3) or a geometric
    series a r^N + b fits the exact counts at N = 1..6 and predicts those at 7..9; else an empty string."""
    from .graph import unroll

    counts = [count_paths(unroll(model, n, activation), wrt, loss) for n in range(1, 10)]
    return _polynomial(counts) or _geometric(counts)


def _polynomial(counts: list[int]) -> str:
    for degree in range(4):
        coefficients = _fit([[Fraction(n) ** k for k in range(degree + 1)] for n in range(1, degree + 2)],
                            [Fraction(c) for c in counts[:degree + 1]])
        value = lambda n: sum(c * Fraction(n) ** k for k, c in enumerate(coefficients or ()))  # noqa: E731
        if coefficients is not None and all(value(n) == counts[n - 1] for n in range(1, len(counts) + 1)):
            return _polynomial_latex(coefficients)
    return ""


def _geometric(counts: list[int]) -> str:
    if counts[1] == counts[0]:
        return ""
    ratio = Fraction(counts[2] - counts[1], counts[1] - counts[0])
    if ratio.denominator != 1 or ratio <= 1:
        return ""
    a = Fraction(counts[1] - counts[0], ratio ** 2 - ratio)
    b = counts[0] - a * ratio
    if any(a * ratio ** n + b != counts[n - 1] for n in range(1, len(counts) + 1)):
        return ""
    scale = a.denominator
    top = f"{a.numerator if a.numerator != 1 else ''}{ratio.numerator}^{{{SYMBOL}}}"
    constant = b * scale
    top += f" {'-' if constant < 0 else '+'} {abs(constant)}" if constant else ""
    return rf"\frac{{{top}}}{{{scale}}}" if scale != 1 else top


def _fit(rows: list[list[Fraction]], values: list[Fraction]) -> list[Fraction] | None:
    """Solve a small square system exactly (Gaussian elimination over fractions)."""
    size = len(rows)
    matrix = [row[:] + [value] for row, value in zip(rows, values)]
    for col in range(size):
        pivot = next((r for r in range(col, size) if matrix[r][col] != 0), None)
        if pivot is None:
            return None
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        for r in range(size):
            if r != col and matrix[r][col] != 0:
                factor = matrix[r][col] / matrix[col][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[col])]
    return [matrix[r][size] / matrix[r][r] for r in range(size)]


def _polynomial_latex(coefficients: list[Fraction]) -> str:
    """N(N+1)/2 written as \\frac{N^{2} + N}{2}: over the common denominator, highest power first."""
    scale = 1
    for c in coefficients:
        scale = scale * c.denominator // _gcd(scale, c.denominator)
    parts = []
    for power in range(len(coefficients) - 1, -1, -1):
        c = coefficients[power] * scale
        if c == 0:
            continue
        base = "" if power == 0 else SYMBOL if power == 1 else f"{SYMBOL}^{{{power}}}"
        number = "" if abs(c) == 1 and power else str(abs(c))
        parts.append(("-" if c < 0 else "+", f"{number}{base}"))
    text = " ".join(f"{sign} {body}" for sign, body in parts).lstrip("+ ").replace("- ", "-", 1 if parts[0][0] == "-"
                                                                                     else 0)
    return rf"\frac{{{text}}}{{{scale}}}" if scale != 1 else text


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


_NOTE = re.compile(r"\s*&&\s*t = (.*)$")


def holds_from(general: Document, model: Model, wrt: str | None, loss: str | None, activation: str,
               notation: str) -> int:
    """The smallest N from which the general document gives back the concrete derivation line for line (its
    recursion and its Jacobians, t and N replaced by numbers), checked down from the first sample."""
    for n in range(SAMPLE_STEPS[0] - 1, 0, -1):
        exact = present(derive_one(model, n, wrt, loss, activation, form="factored"), notation=notation)
        if _lines(general, n) != _lines(exact, n):
            return n + 1
    return 1


def _lines(document: Document, n: int) -> tuple[set, set]:
    """A document's recursion and Jacobian lines with every step a number (N = n)."""
    recursions = set()
    for named, lines in zip(document.recursions, document.recursion_lines):
        note = _NOTE.search(lines[-1])
        body = lines[:-1] + (_NOTE.sub("", lines[-1]),)
        for t in _named_steps(note.group(1), n) if note else [None]:
            recursions.add((_numbered(named.symbol, t, n), tuple(_numbered(line, t, n) for line in body)))
    jacobians = set()
    for equation in document.jacobians_by_step:
        steps = _named_steps(equation.note[len("t = "):], n) if equation.note else [None]
        jacobians |= {(_numbered(equation.lhs, t, n), _numbered(equation.rhs, t, n)) for t in steps}
    return recursions, jacobians


def _named_steps(note: str, n: int) -> list[int]:
    """The steps a note names at N = n ("0, \\dots, N-1", "N", "1, 2, 3"); an empty range names none."""
    value = lambda text: n + int(text[1:] or 0) if text.startswith(SYMBOL) else int(text)  # noqa: E731
    if r"\dots" in note:
        first, last = (value(part.strip(" ,")) for part in note.split(r"\dots"))
        return list(range(first, last + 1))
    return [value(part.strip()) for part in note.split(",")]


def _numbered(text: str, t: int | None, n: int) -> str:
    """A line with N (and t) replaced by numbers wherever they stand as a step: h^{(t+1)} → h^{(3)}."""
    def step(name: str) -> str:
        return r"(?<=[{(,])(" + name + r")([+-]\d+)?(?=[})\],])"

    text = re.sub(step(SYMBOL), lambda m: str(n + int(m.group(2) or 0)), text)
    if t is not None:
        text = re.sub(step("t"), lambda m: str(t + int(m.group(2) or 0)), text)
    return text
