"""Notation: a SymPy ``LatexPrinter`` subclass that prints symrnn's expressions.

SymPy's printer dispatches on class names (``_print_MatVec`` for a ``MatVec``), so
each expression kind has one small method here; the model supplies the LaTeX of
every name, so an answer key keeps the notation of its exercise. Templates only lay
the strings out.
"""

from __future__ import annotations

import re
from dataclasses import replace

import sympy
from sympy.printing.latex import LatexPrinter

from .activations import ACTIVATIONS
from .errors import MissingRule
from .expr import (
    Add,
    Apply,
    ApplyDeriv,
    Const,
    CrossEntropy,
    Label,
    LogSoftmax,
    MatVec,
    Mul,
    Neg,
    Node,
    OneHot,
    Ones,
    Param,
    Pick,
    Ref,
    Scale,
    Softmax,
    SquaredNorm,
    TimeSum,
    Zeros,
)
from .graph import GENERIC, Graph
from .jac import (
    JBlock,
    JColumn,
    JDiag,
    JEdge,
    JIdentity,
    JKron,
    JLogSoftmax,
    JMatrix,
    JName,
    JNeg,
    JOuter,
    JProduct,
    JRow,
    JScalar,
    JSum,
    JTranspose,
)

TOP = r"\top"
_SUPERSCRIPT = re.compile(r"^(.*)\^\{([^{}]*)\}$")
_ELIDE_RUN = 4
"""Runs of this many consecutive transition factors (B^{5} B^{4} B^{3} B^{2}) print as B^{5} \\cdots B^{2}."""


def with_superscript(base: str, sup: str) -> str:
    """Add to a symbol's superscript: W^{hx} with \\top gives W^{hx\\top}."""
    if not sup:
        return base
    match = _SUPERSCRIPT.match(base)
    return f"{match.group(1)}^{{{match.group(2)}{sup}}}" if match else f"{base}^{{{sup}}}"


class NotationPrinter(LatexPrinter):
    """Prints values and Jacobians of one unrolled graph in its model's notation."""

    printmethod = "_symrnn_latex"

    def emptyPrinter(self, expr: object) -> str:  # noqa: N802 - SymPy's name
        """An expression with no _print_ method here: an error naming it, never its repr typeset as text."""
        if isinstance(expr, str):
            return expr
        raise MissingRule("LaTeX", expr)

    def __init__(self, graph: Graph, last: str | None = None, at: int | None = None,
                 notation: str = "jacobian") -> None:
        super().__init__()
        self.graph = graph
        self.notation = notation
        """How an edge's Jacobian is written: "jacobian", D(a → b), or "leibniz", ∂b/∂a."""
        self.at = at  # the step shown as t: h at step at - 1 prints as h^{(t-1)}; None shows every step's number
        model = graph.model
        self.last = last or str(graph.steps + model.time_offset)
        self.position = "i" if last else str(graph.position)
        self.now = "t"
        """How a model equation's own step is written: t, or a number inside a sum over one step."""
        self.scalar = model.scalar
        self.names = {e.name: e.latex for e in model.params + model.inputs + model.labels + model.step + model.readout}

    # -------------------------------------------------------------- values

    def symbol(self, value: Node | Param, sup: str = "") -> str:
        """A node or parameter, with an optional extra superscript (such as \\top)."""
        if isinstance(value, Param) or value.time is None:
            return with_superscript(self.names[value.name], sup)
        return self.timed(self.names[value.name], self.step(value.time + value.offset), sup)

    def step(self, time: int) -> str:
        """A step as shown: its number, or relative to t when the printer has a step ``at``."""
        return str(time) if self.at is None else self.relative("t", time - self.at)

    def timed(self, base: str, time: str, sup: str = "") -> str:
        """A value at a time, in the source's style: h^{(t)} or h_{t} (with an extra superscript); a
        name whose LaTeX holds @ gets the time there (h^{(2,@)} is h^{(2,t)}, Collins's second level, Question 2a)."""
        if "@" in base:
            return with_superscript(base.replace("@", time), sup)
        if self.graph.model.time_style == "subscript":
            return f"{base}_{{{time}}}" + (f"^{{{sup}}}" if sup else "")
        return with_superscript(base, f"({time})" + sup)

    def ident(self, ident: str, sup: str = "") -> str:
        """The LaTeX of a node given by its identifier (``h[2]``)."""
        return self.symbol(self.graph.node(ident).value, sup)

    def _print_Node(self, expr: Node) -> str:
        return self.symbol(expr)

    def _print_Param(self, expr: Param) -> str:
        return self.symbol(expr)

    def _print_Ref(self, expr: Ref) -> str:
        """A model equation's reference, relative to t (h^{(t-1)}), or at the last step n."""
        model = self.graph.model
        if not any(d.name == expr.name for d in model.step + model.inputs):
            return self.names[expr.name]
        time = self.last if expr.last else self.relative(self.position if expr.position else self.now, expr.shift)
        return self.timed(self.names[expr.name], time)

    @staticmethod
    def relative(base: str, shift: int) -> str:
        """t, t-1, i-1; or a number (2 - 1 = 1)."""
        if shift == 0:
            return base
        return str(int(base) + shift) if base.lstrip("-").isdigit() else f"{base}{shift:+d}"

    def _print_MatVec(self, expr: MatVec) -> str:
        return f"{self._print(expr.matrix)} {self.grouped(expr.vector)}"

    def _print_Add(self, expr: Add) -> str:
        if isinstance(expr, sympy.Basic):  # a size such as m + 1: SymPy's own Add
            return super()._print_Add(expr)
        text = self._print(expr.terms[0])
        for term in expr.terms[1:]:
            text += f" - {self.grouped(term.arg)}" if isinstance(term, Neg) else f" + {self._print(term)}"
        return text

    def _print_Neg(self, expr: Neg) -> str:
        return f"-{self.grouped(expr.arg)}"

    def _print_Mul(self, expr: Mul) -> str:
        if isinstance(expr, sympy.Basic):  # a size such as 2m: SymPy's own Mul
            return super()._print_Mul(expr)
        operator = r"\," if self.scalar else r" \odot "
        return f"{self.grouped(expr.left)}{operator}{self.grouped(expr.right)}"

    def _print_Scale(self, expr: Scale) -> str:
        return f"{self.grouped(expr.scalar)} {self.grouped(expr.vector)}"

    def _print_Ones(self, expr: Ones) -> str:
        return r"\mathbf{1}" if expr.vector and not self.scalar else "1"

    def _print_TimeSum(self, expr: TimeSum) -> str:
        """Σ_t over the steps; over a single step, its one term (L = ‖x_1 - o_0‖², not Σ_{t=0}^{0})."""
        first = self.graph.model.first_time()
        if self.last != str(first):
            return rf"\sum_{{t={first}}}^{{{self.last}}} {self.grouped(expr.term)}"
        self.now = str(first)
        try:
            return self._print(expr.term)
        finally:
            self.now = "t"

    def _print_Const(self, expr) -> str:
        return str(expr.value)

    def _print_Zeros(self, expr: Zeros) -> str:
        return "0" if self.scalar else r"\mathbf{0}"

    def _print_Log(self, expr) -> str:
        return rf"\ln {self.grouped(expr.arg)}" if self.scalar else rf"\log({self._print(expr.arg)})"

    def _print_Reciprocal(self, expr) -> str:
        return rf"\frac{{1}}{{{self._print(expr.arg)}}}"

    def _print_SquaredNorm(self, expr: SquaredNorm) -> str:
        return rf"\lVert {self._print(expr.arg)} \rVert^{{2}}"

    def _print_CrossEntropy(self, expr: CrossEntropy) -> str:
        return rf"-\log {self.grouped(expr.probabilities)}_{{{self._print(expr.label)}}}"

    def _print_Label(self, expr: Label) -> str:
        name = self.names[expr.name]
        if expr.time is not None:
            return self.timed(name, self.step(expr.time + self.graph.model.time_offset))
        return self.timed(name, "t") if self.per_step(expr.name) else name

    def per_step(self, label: str) -> bool:
        return any(entry.name == label and entry.per_step for entry in self.graph.model.labels)

    def _print_Apply(self, expr: Apply) -> str:
        return f"{self.activation(expr.fn).latex}({self._print(expr.arg)})"

    def _print_ApplyDeriv(self, expr: ApplyDeriv) -> str:
        act = self.activation(expr.fn)
        if act.name == GENERIC:
            return f"{act.latex}'({self._print(expr.arg)})"
        out = self._print(expr.out) if expr.out is not None else self._print(Apply(expr.fn, expr.arg))
        return act.derivative(out, self._print(expr.arg), self.scalar)

    def _print_LogSoftmax(self, expr: LogSoftmax) -> str:
        return rf"\operatorname{{LS}}({self._print(expr.arg)})"

    def _print_Softmax(self, expr: Softmax) -> str:
        return rf"\operatorname{{softmax}}({self._print(expr.arg)})"

    def _print_Pick(self, expr: Pick) -> str:
        return f"{self.grouped(expr.vector)}_{{{self._print(expr.label)}}}"

    def _print_OneHot(self, expr: OneHot) -> str:
        return f"e_{{{self._print(expr.label)}}}"

    def activation(self, fn: str):
        act = ACTIVATIONS[self.graph.activation if fn == GENERIC else fn]
        return replace(act, latex=self.graph.model.generic_latex) if act.name == GENERIC else act

    def grouped(self, expr) -> str:
        """An operand, in parentheses when it is a sum or a difference."""
        text = self._print(expr)
        return f"({text})" if isinstance(expr, (Add, Neg, Mul, Scale, JSum, JNeg, JKron, JLogSoftmax, JOuter)) else text

    # -------------------------------------------------------------- Jacobians

    def _print_JEdge(self, jac: JEdge) -> str:
        if self.notation == "leibniz":
            return rf"\frac{{\partial {self.ident(jac.target)}}}{{\partial {self.ident(jac.source)}}}"
        return rf"D({self.ident(jac.source)} \rightarrow {self.ident(jac.target)})"

    def _print_JName(self, jac: JName, sup: str = "") -> str:
        index = "" if jac.index is None else str(jac.index)
        return with_superscript(jac.letter, index + sup) if index or sup else jac.letter

    def _print_JGrad(self, jac) -> str:
        return rf"\nabla_{{{self.ident(jac.node)}}} {self.ident(jac.loss)}"

    def _print_JMatrix(self, jac: JMatrix) -> str:
        return self._print(jac.matrix)

    def _print_JBlock(self, jac: JBlock) -> str:
        """The k-th column block of a matrix: V_{[k]}, or {C_{3}}_{[k]} for a name with its own subscript."""
        base = self.names[jac.matrix.name]
        return f"{{{base}}}_{{[{jac.index + 1}]}}" if "_" in base else f"{base}_{{[{jac.index + 1}]}}"

    def _print_Concat(self, expr) -> str:
        return rf"\operatorname{{CONCAT}}({', '.join(self._print(part) for part in expr.parts)})"

    def _print_JDiag(self, jac: JDiag) -> str:
        if self.scalar:
            return self.grouped(jac.vector)
        return rf"\operatorname{{diag}}({self._print(jac.vector)})"

    def _print_JIdentity(self, jac: JIdentity) -> str:
        return "1" if self.scalar or jac.dim == 1 else f"I_{{{self._print(jac.dim)}}}"

    def _print_JKron(self, jac: JKron) -> str:
        if self.scalar:
            return self.grouped(jac.vector)
        return rf"{self.transposed_vector(jac.vector)} \otimes I_{{{self._print(jac.dim)}}}"

    def _print_JRow(self, jac: JRow) -> str:
        return self.transposed_vector(jac.vector)

    def _print_JColumn(self, jac: JColumn) -> str:
        return self.grouped(jac.vector)

    def _print_JScalar(self, jac: JScalar) -> str:
        return self.grouped(jac.value)

    def transposed_vector(self, vector) -> str:
        """v^\\top: a symbol gets the superscript, anything else parentheses first (a number: v)."""
        if self.scalar:
            return self.grouped(vector)
        if isinstance(vector, (Node, Param)):
            return self.symbol(vector, TOP)
        return rf"{self.grouped(vector)}^{{{TOP}}}"

    def _print_JLogSoftmax(self, jac: JLogSoftmax) -> str:
        softmax = rf"\operatorname{{softmax}}({self._print(jac.arg)})^{{{TOP}}}"
        return rf"I_{{{self._print(jac.dim)}}} - \mathbf{{1}}\, {softmax}"

    def _print_JProduct(self, jac: JProduct) -> str:
        return r"\, ".join(self.factor_strings(jac.factors))

    def factor_strings(self, factors) -> list[str]:
        """The printed factors of a product as a person writes them: a scalar factor first (2 (o - x), not
        (o - x) 2), long runs of transitions elided with \\cdots, and in a scalar network a repeated factor as a
        power (v u^{2}, not v u u)."""
        factors = _scalars_first(factors, self.scalar)
        printed = [self.grouped(f) for f in factors]
        runs = _transition_runs(factors)
        for start, stop in reversed(runs):
            printed[start:stop] = [printed[start], r"\cdots", printed[stop - 1]]
        return _powers(printed) if self.scalar else printed

    def _print_JSum(self, jac: JSum) -> str:
        text = self.summand(jac.terms[0])
        for term in jac.terms[1:]:
            text += f" - {self.grouped(term.arg)}" if isinstance(term, JNeg) else f" + {self.summand(term)}"
        return text

    def summand(self, term) -> str:
        """A term of a sum of matrices; a scalar multiple of I shows its I (α I_m + ...)."""
        if isinstance(term, JScalar):
            return f"{self.grouped(term.value)} I_{{{self._print(term.dim)}}}"
        return self._print(term)

    def _print_JNeg(self, jac: JNeg) -> str:
        return f"-{self.grouped(jac.arg)}"

    def _print_JTranspose(self, jac: JTranspose) -> str:
        inner = jac.arg
        if self.scalar:
            return self.grouped_jac(inner)
        if isinstance(inner, JName):
            return self._print_JName(inner, TOP)
        if isinstance(inner, JMatrix):
            return self.symbol(inner.matrix, TOP)
        if isinstance(inner, JRow):
            return self.grouped(inner.vector)
        return rf"{self.grouped_jac(inner)}^{{{TOP}}}"

    def grouped_jac(self, jac) -> str:
        text = self._print(jac)
        if isinstance(jac, JEdge) and self.notation == "leibniz":
            return rf"\left({text}\right)"
        return text if isinstance(jac, (JEdge, JName, JMatrix, JDiag, JIdentity, JColumn)) else f"({text})"

    def _print_JOuter(self, jac: JOuter) -> str:
        column = jac.column
        printed = self._print(column) if isinstance(column, JProduct) else self.grouped(column)
        return rf"{printed}\, {self.transposed_vector(jac.vector)}"


def _scalars_first(factors, scalar_network: bool) -> list:
    """Scalar factors moved to the front of a product, where they commute with the rest: in a scalar network only
    numbers (2), elsewhere every scalar multiple (α, 1 - α)."""
    def leads(factor) -> bool:
        return isinstance(factor, JScalar) and (not scalar_network or isinstance(factor.value, Const))
    return [f for f in factors if leads(f)] + [f for f in factors if not leads(f)]


def _powers(printed: list[str]) -> list[str]:
    """Runs of one printed factor as a power: u u → u^{2} ({x^{(1)}}^{2} for a factor that has a superscript)."""
    merged: list[str] = []
    count = 0
    for i, text in enumerate(printed):
        count += 1
        if i + 1 < len(printed) and printed[i + 1] == text and text != r"\cdots":
            continue
        base = f"{{{text}}}" if count > 1 and "^" in text and not text.startswith("(") else text
        merged.append(f"{base}^{{{count}}}" if count > 1 else text)
        count = 0
    return merged


def _transition_runs(factors) -> list[tuple[int, int]]:
    """[start, stop) ranges of at least _ELIDE_RUN consecutive B^{k}, B^{k-1}, ... (or their transposes)."""
    keys = [_transition_key(f) for f in factors]
    runs, start = [], 0
    for i in range(1, len(keys) + 1):
        before, here = keys[i - 1], keys[i] if i < len(keys) else None
        continues = before is not None and here is not None and _consecutive(before, here)
        if not continues:
            if i - start >= _ELIDE_RUN and keys[start] is not None:
                runs.append((start, i))
            start = i
    return runs


def _transition_key(factor) -> tuple[str, int, bool] | None:
    transposed = isinstance(factor, JTranspose)
    inner = factor.arg if transposed else factor
    if isinstance(inner, JName) and inner.index is not None:
        return (inner.letter, inner.index, transposed)
    return None


def _consecutive(a: tuple[str, int, bool], b: tuple[str, int, bool]) -> bool:
    step = 1 if a[2] else -1
    return a[0] == b[0] and a[2] == b[2] and b[1] == a[1] + step
