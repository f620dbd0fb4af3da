"""The math language of model files: one equation a line, parsed by a small grammar (never eval), shapes checked.

    equation := NAME '=' sum ['#' 'inline']
    sum      := product (('+' | '-') product)*
    product  := unary ('*' unary)*                    elementwise (⊙), or a scalar times a vector
    unary    := '-' unary | matmul
    matmul   := postfix (['@'] postfix)*              matrix-vector products, left to right
    postfix  := primary ('[' index ']')*
    primary  := NUMBER | NAME | NAME '(' sum (',' sum)* ')' | 'crossentropy(' sum ',' LABEL ')' | '(' sum ')'
    index    := ('t' | 'i') [('+' | '-') NUMBER] | 'n' | LABEL | LABEL '[' 't' ']'

So ``alpha * W x`` is α ⊙ (W x) and ``-logsoftmax(l)[y]`` is −(logsoftmax(l)_y). Every error is a
``ModelFileError`` that names the line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import sympy

from .activations import ACTIVATIONS
from .errors import InputError
from .expr import (
    Add,
    Apply,
    Concat,
    Const,
    CrossEntropy,
    Expr,
    Label,
    Log,
    LogSoftmax,
    MatVec,
    Mul,
    Neg,
    OneHot,
    Ones,
    Pick,
    Ref,
    Scale,
    Softmax,
    SquaredNorm,
    TimeSum,
)
from .limits import MAX_NESTING

Shape = tuple[str, ...]
ANY: Shape = ("*",)
"""The shape of a number: it takes the shape of what it meets (1 - z: a vector of ones)."""

FUNCTIONS = tuple(name for name, act in ACTIVATIONS.items() if not act.assumes_active)
"""Elementwise functions, one row each in ``activations.ACTIVATIONS``: g is the generic one, chosen with
--activation."""

CALLS = FUNCTIONS + ("logsoftmax", "softmax", "log", "norm2", "sum_t", "concat", "crossentropy", "onehot")
"""Every function of the language; any other name before '(' multiplies it (U (r * h[t-1]))."""


class ModelFileError(InputError):
    """A model file that cannot be read: one line, ``file:line:column: what is wrong``."""


@dataclass(frozen=True)
class Where:
    """Where an equation stands in its file, to name positions in errors."""

    file: str
    line: int
    column: int

    def at(self, offset: int) -> str:
        return f"{self.file}:{self.line}:{self.column + offset}"


@dataclass
class Scope:
    """What names mean while one section is read: shapes of parameters, inputs, labels and definitions."""

    params: dict[str, Shape]
    inputs: dict[str, Shape]
    labels: dict[str, tuple[str, bool]]
    states: dict[str, str]
    defined: dict[str, Shape] = field(default_factory=dict)
    """Step definitions so far (read at t or earlier); in the readout, the readout's own so far."""
    steps: dict[str, Shape] = field(default_factory=dict)
    """Every step definition (the readout reads them at n, or at t inside sum_t)."""
    in_step: bool = True
    dims: tuple[str, ...] = ()
    """The declared dimensions: a CONCAT of k vectors of size m needs k*m among them."""
    state_shapes: dict[str, Shape] = field(default_factory=dict)
    """Shapes given for states that start at zero (no parameter to read them from)."""


_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*@()\[\],]))")


def tokens(text: str, where: Where) -> list[tuple[str, str, int]]:
    """(kind, text, column) for each token; anything else is an error naming its column."""
    found, pos = [], 0
    while text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None:
            column = len(text) - len(text[pos:].lstrip())
            raise ModelFileError(f"{where.at(column)}: unexpected {text[column]!r}; see the README's model language")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return found



class Parser:
    """A recursive-descent parser that builds symrnn's expressions with their shapes as it reads."""

    def __init__(self, text: str, where: Where, scope: Scope, time_sum: bool = False) -> None:
        self.text, self.where, self.scope = text, where, scope
        self.items, self.index, self.depth, self.time_sum = tokens(text, where), 0, 0, time_sum

    def error(self, message: str, column: int | None = None) -> ModelFileError:
        at = column if column is not None else (self.items[self.index][2] if self.index < len(self.items)
                                                else len(self.text))
        return ModelFileError(f"{self.where.at(at)}: {message}")

    def span(self, column: int) -> str:
        """The text read from ``column`` up to here: the sum or product an error is about."""
        kind, text, start = self.items[self.index - 1]
        return self.text[column:start + len(text)].strip()

    def next_is(self, *texts: str) -> bool:
        """Whether the next token is one of these operators or words."""
        item = self.peek()
        return item is not None and item[1] in texts

    def column(self) -> int:
        """Where the next token starts (the end of the text when none is left)."""
        item = self.peek()
        return item[2] if item is not None else len(self.text)

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self, text: str | None = None) -> tuple[str, str, int]:
        item = self.peek()
        if item is None or (text is not None and item[1] != text):
            raise self.error(f"expected {text!r}" if text else "the equation ends too soon")
        self.index += 1
        return item

    def parse(self) -> tuple[Expr, Shape]:
        found = self.sum()
        item = self.peek()
        if item is not None:
            raise self.error(f"unexpected {item[1]!r}")
        return found

    def sum(self) -> tuple[Expr, Shape]:
        start = self.column()
        terms = [self.product()]
        while self.next_is("+", "-"):
            sign = self.take()[1]
            expr, shape = self.product()
            terms.append((Neg(expr) if sign == "-" else expr, shape))
        if len(terms) == 1:
            return terms[0]
        shape = self.common([s for _, s in terms], start, " + ")
        parts: list[Expr] = []
        for expr, term_shape in terms:
            expr = self.number_as(expr, term_shape, shape)
            parts.extend(expr.terms if isinstance(expr, Add) else (expr,))
        return Add(tuple(parts)), shape

    def number_as(self, expr: Expr, shape: Shape, target: Shape) -> Expr:
        """A number in a sum: 1 is the (bold, for a vector) one; others are constants."""
        if shape != ANY:
            return expr
        inner, negative = (expr.arg, True) if isinstance(expr, Neg) else (expr, False)
        if isinstance(inner, Const) and inner.value == 1:
            inner = Ones(target != ())
        return Neg(inner) if negative else inner

    def common(self, shapes: list[Shape], column: int, joiner: str) -> Shape:
        known = [s for s in shapes if s != ANY]
        if any(s != known[0] for s in known):
            text = joiner.join(f"({' x '.join(s) or 'scalar'})" for s in known)
            raise self.error(f"{self.span(column)}: {text} do not match", column)
        return known[0] if known else ANY

    def product(self) -> tuple[Expr, Shape]:
        left = self.unary()
        while self.next_is("*"):
            column = self.take()[2]
            left = self.elementwise(left, self.unary(), column)
        return left

    def elementwise(self, left: tuple[Expr, Shape], right: tuple[Expr, Shape], column: int) -> tuple[Expr, Shape]:
        (a, sa), (b, sb) = left, right
        if sa in ((), ANY) and sb not in ((), ANY):
            return Scale(a, b), sb
        if sb in ((), ANY) and sa not in ((), ANY):
            return Scale(b, a), sa
        return Mul(a, b), self.common([sa, sb], column, " * ")

    def unary(self) -> tuple[Expr, Shape]:
        if self.next_is("-"):
            self.take()
            expr, shape = self.unary()
            return Neg(expr), shape
        return self.matmul()

    def starts_primary(self) -> bool:
        item = self.peek()
        return item is not None and (item[0] in ("name", "number") or item[1] in ("(", "@"))

    def matmul(self) -> tuple[Expr, Shape]:
        left = self.postfix()
        while self.starts_primary():
            column = self.column()
            if self.next_is("@"):
                self.take()
            left = self.apply_matrix(left, self.postfix(), column)
        return left

    def apply_matrix(self, left: tuple[Expr, Shape], right: tuple[Expr, Shape], column: int) -> tuple[Expr, Shape]:
        (a, sa), (b, sb) = left, right
        if sa == () or sa == ANY:  # a scalar parameter times a vector: v h
            return Scale(a, b), sb
        if len(sa) != 2 or not isinstance(a, Ref) or a.name not in self.scope.params:
            raise self.error("only a parameter matrix may multiply a vector (W x); write * for elementwise", column)
        if len(sb) != 1 or sb[0] != sa[1]:
            shown = f"({' x '.join(sb) or 'scalar'})"
            raise self.error(f"{a.name} is {sa[0]} x {sa[1]} but multiplies a {shown} value", column)
        return MatVec(a, b), (sa[0],)

    def postfix(self) -> tuple[Expr, Shape]:
        expr = self.primary()
        while self.next_is("["):
            expr = self.indexed(expr)
        return expr

    def primary(self) -> tuple[Expr, Shape]:
        kind, text, column = self.take()
        if kind == "number":
            return Const(int(text) if text.isdigit() else float(text)), ANY
        if text == "(":
            inner = self.nested(self.sum)
            self.take(")")
            return inner
        if kind != "name":
            raise self.error(f"unexpected {text!r}", column)
        if self.next_is("(") and text in CALLS:
            return self.call(text, column)
        if self.next_is("["):
            return self.timed_name(text, column)
        return self.name(text, column)

    def nested(self, read: Callable[[], tuple[Expr, Shape]]) -> tuple[Expr, Shape]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested more than {MAX_NESTING} deep")
        try:
            return read()
        finally:
            self.depth -= 1

    def call(self, fn: str, column: int) -> tuple[Expr, Shape]:
        self.take("(")
        if fn == "concat":
            return self.concat(column)
        if fn == "crossentropy":
            return self.cross_entropy(column)
        if fn == "onehot":
            return self.one_hot(column)
        if fn == "sum_t":
            if self.scope.in_step:
                raise self.error("sum_t sums over the steps: use it in the readout", column)
            self.time_sum = True
        arg, shape = self.nested(self.sum)
        self.take(")")
        if fn == "sum_t":
            self.time_sum = False
            return TimeSum(arg), shape
        return self.function(fn, arg, shape, column)

    def concat(self, column: int) -> tuple[Expr, Shape]:
        """concat(a, b, ...): vectors of one size m stacked, of size k*m (a dimension the file declares)."""
        parts = [self.nested(self.sum)]
        while self.next_is(","):
            self.take(",")
            parts.append(self.nested(self.sum))
        self.take(")")
        sizes = {shape for _, shape in parts}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            raise self.error("concat stacks vectors of one size", column)
        size = f"{len(parts)}*{next(iter(sizes))[0]}"
        if size not in self.scope.dims:
            raise self.error(f"concat makes a vector of size {size}: declare it under dimensions ('{size}': ...)",
                             column)
        return Concat(tuple(expr for expr, _ in parts)), (size,)

    def cross_entropy(self, column: int) -> tuple[Expr, Shape]:
        """crossentropy(p, y): -log p_y for probabilities p given by a softmax, as one operation (its gradient
        is the textbook (p - e_y)^T)."""
        probabilities, shape = self.nested(self.sum)
        self.take(",")
        label, size = self.label_argument("crossentropy(p, y) takes the label as its second argument")
        if shape != (size,):
            raise self.error(f"{label} picks one of {size} entries, but p is ({' x '.join(shape) or 'scalar'})",
                             column)
        return CrossEntropy(probabilities, Label(label)), ()

    def one_hot(self, column: int) -> tuple[Expr, Shape]:
        """onehot(y[t]): the unit vector e_y of the label's size (a tag read as an input)."""
        label, size = self.label_argument("onehot(y) takes a label")
        return OneHot(Label(label), sympy.Symbol(size, integer=True, positive=True)), (size,)

    def label_argument(self, message: str) -> tuple[str, str]:
        """A label as a function's last argument (y, or y[t] for a label per step) and the closing parenthesis:
        its name and the dimension it ranges over."""
        kind, label, at = self.take()
        if label not in self.scope.labels:
            raise self.error(message, at)
        size, per_step = self.scope.labels[label]
        if per_step:
            self.take_step()
        self.take(")")
        return label, size

    def take_step(self) -> None:
        """``[t]``: the label of the current step."""
        self.take("[")
        self.take("t")
        self.take("]")

    def function(self, fn: str, arg: Expr, shape: Shape, column: int) -> tuple[Expr, Shape]:
        if fn in FUNCTIONS:
            return Apply(fn, arg), shape
        if fn in ("logsoftmax", "softmax"):
            if len(shape) != 1:
                raise self.error(f"{fn} takes a vector", column)
            return (LogSoftmax(arg) if fn == "logsoftmax" else Softmax(arg)), shape
        if fn == "norm2":
            return SquaredNorm(arg), ()
        if fn == "log":
            return Log(arg), shape
        raise self.error(f"unknown function {fn!r}; the language has {', '.join(CALLS)}", column)

    def timed_name(self, text: str, column: int) -> tuple[Expr, Shape]:
        """A name about to be indexed by a step (h[t-1], h[n]) or a label (q[y])."""
        scope = self.scope
        for table in (scope.inputs, scope.defined, scope.steps):
            if text in table:
                return Ref(text), table[text]
        if text in scope.states:
            initial = scope.states[text]
            if initial in scope.params:
                return Ref(text), scope.params[initial]
            if text in scope.state_shapes:
                return Ref(text), scope.state_shapes[text]
            raise self.error(f"{text} starts at 0: give its shape (states: {{{text}: {{initial: 0, shape: [m]}}}})",
                             column)
        return self.name(text, column)

    def name(self, text: str, column: int) -> tuple[Expr, Shape]:
        scope = self.scope
        if text in scope.params:
            return Ref(text), scope.params[text]
        if text in scope.inputs:
            if not scope.in_step and not self.time_sum:
                raise self.error(f"the input {text} is read at a step: write {text}[n], or use it inside sum_t",
                                 column)
            return Ref(text), scope.inputs[text]
        if text in scope.defined:
            return Ref(text), scope.defined[text]
        if not scope.in_step and text in scope.steps:
            if not self.time_sum:
                raise self.error(f"{text} has a value at every step: write {text}[n], or sum it with sum_t({text})",
                                 column)
            return Ref(text), scope.steps[text]
        if scope.in_step and text in scope.states:
            raise self.error(f"{text} is read before it is defined in this step; write {text}[t-1] for the "
                             f"previous step", column)
        if text in scope.labels:
            raise self.error(f"the label {text} picks an entry: write v[{text}]", column)
        raise self.error(f"unknown name {text!r}", column)

    def indexed(self, expr_shape: tuple[Expr, Shape]) -> tuple[Expr, Shape]:
        expr, shape = expr_shape
        column = self.take("[")[2]
        kind, text, at = self.take()
        if text in self.scope.labels:
            size, per_step = self.scope.labels[text]
            if self.next_is("["):
                self.take_step()
                if not per_step:
                    raise self.error(f"{text} is one label, not one per step: write [{text}]", at)
            elif per_step:
                raise self.error(f"{text} has a label per step: write [{text}[t]]", at)
            self.take("]")
            if shape != (size,):
                raise self.error(f"{text} picks one of {size} entries, but the value is "
                                 f"({' x '.join(shape) or 'scalar'})", at)
            return Pick(expr, Label(text)), ()
        ref = self.time_ref(expr, text, at, column)
        self.take("]")
        return ref, shape

    def time_ref(self, expr: Expr, text: str, at: int, column: int) -> Ref:
        if not isinstance(expr, Ref) or (expr.name not in self.scope.steps and expr.name not in self.scope.inputs
                                         and expr.name not in self.scope.states):
            raise self.error("only a state or an input has a step to index", column)
        name = expr.name
        if text in ("n", "i") and self.scope.in_step:
            raise self.error(f"{name}[{text}] is read after the last step: use it in the readout", at)
        if text == "n":
            return Ref(name, last=True)
        if text not in ("t", "i"):
            raise self.error(f"a step is t, t-1, t+1, n or i (the position --position names), not {text!r}", at)
        shift = 0
        if self.next_is("+", "-"):
            sign = -1 if self.take()[1] == "-" else 1
            kind, digits, where = self.take()
            if kind != "number" or not digits.isdigit():
                raise self.error("a step offset is a whole number: t-1, t+1", where)
            shift = sign * int(digits)
        if text == "i":
            return Ref(name, shift, position=True)
        if shift < 0 and name not in self.scope.states:  # an input read back declares its start as a state does
            raise self.error(f"{name}[t{shift:+d}] needs {name}'s value before the first step: declare it under "
                             f"states ({name}: {name}_0, or {name}: 0)", at)
        return Ref(name, shift)
