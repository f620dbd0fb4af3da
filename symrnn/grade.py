"""Grading a student's gradient: is a written answer equal to the derived one for all values?

An answer is written in a small matrix language over the model's own names: parameters (``W_hh``), inputs and
values at a step (``x[1]``, ``h[2]``, ``a[3]``, ``l``), the label's one-hot vector ``e_y``, numbers; products by
juxtaposition or ``@`` (matrix), ``*`` (elementwise or by a number), ``+``, ``-``; a transpose ``A'`` or ``A.T``
(a vector is a column, so ``u v'`` is an outer product); functions ``diag``, ``g``, ``g'`` (the derivative of the
transfer function), ``tanh``, ``sigmoid``, ``softmax``, ``exp``, ``log``; Jacobians by name, ``D(h[1] -> h[2])``;
and ``sum_t(…)`` over the steps, with ``t`` in indices (``h[t-1]``). The text is parsed here, never evaluated by
Python.

The answer and the derivation are evaluated at several random values (and sizes), and for a generic ``g`` with
several transfer functions. The verdict is "equivalent", or "not equivalent" with a counterexample (the values
drawn, both results), the first path whose term no term of the answer matches, and, where it recognises one, the
mistake: a missing transpose, a missing path, a sign, a factor, or a step off by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import InputError

TRIALS = 3
"""How many random draws an answer must match at."""

ACTIVATIONS = ("tanh", "sigmoid")
"""For a generic g, the transfer functions an answer must hold for."""

RTOL, ATOL = 1e-8, 1e-10

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(?P<arrow>->)|(?P<name>[A-Za-z_]\w*)"
                    r"|(?P<op>\.T|[-+*@()\[\],']))")


@dataclass(frozen=True)
class Verdict:
    equivalent: bool
    explanation: str
    counterexample: str = ""


# ---------------------------------------------------------------- parsing

def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) for each token of an answer; an InputError at the first character that is none."""
    found, at = [], 0
    text = text.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise InputError(f"answer: cannot read {text[at:at + 12]!r} (at character {at + 1})")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        at = match.end()
    return found


class Parser:
    """A recursive-descent parser to a tree of tuples: ("num", x), ("name", n, index), ("call", f, args),
    ("jac", a, b), ("sum_t", body), ("add", l, r), ("sub", l, r), ("neg", x), ("matmul", l, r), ("mul", l, r),
    ("T", x)."""

    def __init__(self, text: str) -> None:
        self.items = tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.items[self.at] if self.at < len(self.items) else ("end", "")

    def after(self) -> tuple[str, str]:
        return self.items[self.at + 1] if self.at + 1 < len(self.items) else ("end", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        item = self.peek()
        if text is not None and item[1] != text:
            raise InputError(f"answer: expected {text!r} at token {self.at + 1}, found {item[1] or 'the end'!r}")
        self.at += 1
        return item

    def parse(self) -> tuple:
        tree = self.sum()
        if self.peek()[0] != "end":
            raise InputError(f"answer: unexpected {self.peek()[1]!r} at token {self.at + 1}")
        return tree

    def sum(self) -> tuple:
        tree = self.product()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            tree = ("add" if op == "+" else "sub", tree, self.product())
        return tree

    def product(self) -> tuple:
        tree = self.unary()
        while True:
            kind, text = self.peek()
            if text in ("*", "@"):
                self.take()
                tree = ("mul" if text == "*" else "matmul", tree, self.unary())
            elif kind in ("number", "name") or text == "(":  # juxtaposition: a matrix product
                tree = ("matmul", tree, self.unary())
            else:
                return tree

    def unary(self) -> tuple:
        if self.peek()[1] == "-":
            self.take()
            return ("neg", self.unary())
        return self.postfix()

    def postfix(self) -> tuple:
        tree = self.atom()
        while self.peek()[1] in ("'", ".T"):
            self.take()
            tree = ("T", tree)
        return tree

    def atom(self) -> tuple:
        kind, text = self.take()
        if kind == "number":
            return ("num", float(text))
        if text == "(":
            tree = self.sum()
            self.take(")")
            return tree
        if kind != "name":
            raise InputError(f"answer: unexpected {text or 'end'!r} at token {self.at}")
        if text == "D" and self.peek()[1] == "(":
            self.take("(")
            source = self.reference()
            self.take("->")
            target = self.reference()
            self.take(")")
            return ("jac", source, target)
        if text == "sum_t" and self.peek()[1] == "(":
            self.take("(")
            body = self.sum()
            self.take(")")
            return ("sum_t", body)
        if self.peek()[1] == "'" and text + "'" in FUNCTIONS and self.after()[1] == "(":  # g'(a): a derivative
            self.take("'")
            text += "'"
        if self.peek()[1] == "(" and text in FUNCTIONS:
            self.take("(")
            argument = self.sum()
            self.take(")")
            return ("call", text, argument)
        return ("name", text, self.index() if self.peek()[1] == "[" else None)

    def reference(self) -> tuple:
        name = self.take()
        if name[0] != "name":
            raise InputError(f"answer: a Jacobian D(a -> b) names two values, not {name[1]!r}")
        return (name[1], self.index() if self.peek()[1] == "[" else None)

    def index(self) -> tuple:
        """[1], [t], [t-1], [t+2]: a step, as a number, t, or t plus or minus a number."""
        self.take("[")
        kind, text = self.take()
        if kind == "number":
            index: tuple = ("step", int(float(text)))
        elif text == "t":
            shift = 0
            if self.peek()[1] in ("+", "-"):
                sign = 1 if self.take()[1] == "+" else -1
                shift = sign * int(float(self.take()[1]))
            index = ("t", shift)
        else:
            raise InputError(f"answer: a step is a number or t, t-1, t+1, not {text!r}")
        self.take("]")
        return index


def parse(text: str) -> tuple:
    if not text.strip():
        raise InputError("answer: empty")
    return Parser(text).parse()


def top_terms(tree: tuple) -> list[tuple]:
    """The terms of the answer's top-level sum (a difference's right side negated)."""
    if tree[0] == "add":
        return top_terms(tree[1]) + top_terms(tree[2])
    if tree[0] == "sub":
        return top_terms(tree[1]) + [("neg", term) for term in top_terms(tree[2])]
    return [tree]


# ---------------------------------------------------------------- evaluation

@dataclass
class Scope:
    """What names mean at one draw: the forward pass's values by node, the parameters, the Jacobians."""

    values: dict[str, np.ndarray]
    jacobian: Callable[[str, str], np.ndarray]
    function: Callable[[str], tuple[Callable, Callable]]
    steps: range
    label_vector: np.ndarray | None


def _column(value: Any) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return array.reshape(1, 1)
    if array.ndim == 1:
        return array.reshape(-1, 1)
    return array


def _step(index: tuple | None, t: int | None) -> str:
    if index is None:
        return ""
    if index[0] == "step":
        return f"[{index[1]}]"
    if t is None:
        raise InputError("answer: t is used outside sum_t(...)")
    return f"[{t + index[1]}]"


def _product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if left.shape == (1, 1) or right.shape == (1, 1):
        return left * right
    if left.shape[1] != right.shape[0]:
        raise ValueError(f"a product of a {left.shape[0]}×{left.shape[1]} and a {right.shape[0]}×{right.shape[1]} "
                         f"matrix")
    return left @ right


FUNCTIONS: dict[str, Callable[[np.ndarray, Scope], np.ndarray]] = {
    "diag": lambda v, s: np.diag(v.ravel()) if v.shape[1] == 1 else np.diag(np.diag(v)).reshape(-1, 1),
    "g": lambda v, s: s.function("g")[0](v),
    "g'": lambda v, s: s.function("g")[1](v),
    "tanh": lambda v, s: np.tanh(v),
    "sigmoid": lambda v, s: 1 / (1 + np.exp(-v)),
    "relu": lambda v, s: np.maximum(v, 0),
    "exp": lambda v, s: np.exp(v),
    "log": lambda v, s: np.log(v),
    "softmax": lambda v, s: np.exp(v - v.max()) / np.exp(v - v.max()).sum(),
}
"""What each function of the answer language does to its argument (a column, or a matrix)."""


def evaluate(tree: tuple, scope: Scope, t: int | None = None) -> np.ndarray:
    kind = tree[0]
    if kind == "num":
        return np.array([[tree[1]]])
    if kind == "name":
        return _name(tree[1], tree[2], scope, t)
    if kind == "call":
        if tree[1] not in FUNCTIONS:
            raise InputError(f"answer: unknown function {tree[1]!r}; the functions are {', '.join(FUNCTIONS)}")
        return _column(FUNCTIONS[tree[1]](evaluate(tree[2], scope, t), scope))
    if kind == "jac":
        return np.atleast_2d(scope.jacobian(tree[1][0] + _step(tree[1][1], t), tree[2][0] + _step(tree[2][1], t)))
    if kind == "sum_t":
        return sum((evaluate(tree[1], scope, step) for step in scope.steps), np.zeros((1, 1)))  # type: ignore
    if kind == "neg":
        return -evaluate(tree[1], scope, t)
    if kind == "T":
        return evaluate(tree[1], scope, t).T
    left, right = evaluate(tree[1], scope, t), evaluate(tree[2], scope, t)
    if kind == "add":
        return left + right if left.shape == right.shape or (1, 1) in (left.shape, right.shape) else _mismatch(
            left, right, "sum")
    if kind == "sub":
        return left - right if left.shape == right.shape or (1, 1) in (left.shape, right.shape) else _mismatch(
            left, right, "difference")
    if kind == "mul":
        return left * right
    return _product(left, right)


def _mismatch(left: np.ndarray, right: np.ndarray, what: str) -> np.ndarray:
    raise ValueError(f"a {what} of a {left.shape[0]}×{left.shape[1]} and a {right.shape[0]}×{right.shape[1]} matrix")


def _name(name: str, index: tuple | None, scope: Scope, t: int | None) -> np.ndarray:
    if name == "e_y" and index is None and scope.label_vector is not None:
        return _column(scope.label_vector)
    ident = name + _step(index, t)
    if ident not in scope.values:
        if index is not None and name + "[1]" not in scope.values and name + "[0]" not in scope.values:
            raise InputError(f"answer: {name!r} has no value at a step; the names are "
                             f"{', '.join(sorted(n for n in scope.values if '[' not in n))} and values at a step")
        raise KeyError(ident)
    return _column(scope.values[ident])


def written_answer(derivation: Any) -> str:
    """The derivation's sum over paths written in the answer language: each path's product of Jacobians
    D(a -> b), last edge first (∂L/∂vec(W) as a row, which an answer may also give)."""
    return " + ".join(" ".join(f"D({a} -> {b})" for a, b in reversed(list(zip(term.nodes, term.nodes[1:]))))
                      for term in derivation.paths)


# ---------------------------------------------------------------- judging

def grade(answer: str, model: Any, steps: int, *, wrt: str | None = None, loss: str | None = None,
          activation: str = "g", position: int | None = None, layers: int | None = None,
          readout: str | None = None, seed: int = 0, trials: int = TRIALS) -> Verdict:
    """Whether ``answer`` equals ∂loss/∂wrt for every value: equal at ``trials`` random draws (sizes 2 to 4) and,
    for a generic g, for each of ACTIVATIONS; else a counterexample and what the mistake looks like."""
    from .api import Gradient, derive
    from .checking import derived_gradient, random_instance
    from .graph import GENERIC

    tree = parse(answer)
    options = {"wrt": wrt, "loss": loss, "position": position, "layers": layers, "readout": readout}
    first = derive(model, steps, activation=activation, **options)  # type: ignore[arg-type]
    parts = first.parts if isinstance(first, Gradient) else (first,)
    generic = activation == GENERIC and GENERIC in parts[0].model.functions
    rng = np.random.default_rng(seed)
    for act in ACTIVATIONS if generic else (activation,):
        derivation = derive(model, steps, activation=act, **options) if generic else first  # type: ignore
        if isinstance(derivation, Gradient):
            raise InputError("grade judges one parameter's gradient: give --wrt NAME, not all")
        if derivation.vector_loss:
            raise InputError("grade judges the gradient of a number: the --loss given is a vector")
        for _ in range(trials):
            instance = random_instance(derivation.model, steps, rng)
            scope = _scope(derivation, instance, act)
            gradient = derived_gradient(derivation, instance, act)
            expected = _column(gradient)
            try:
                got = evaluate(tree, scope)
                if got.shape == (1, gradient.size) != expected.shape:  # ∂L/∂vec(W) as a row: a Jacobian product
                    expected = gradient.reshape(1, -1, order="F")
            except KeyError as missing:
                return Verdict(False, f"{missing.args[0]} is not a value of this network unrolled for n = {steps}")
            except ValueError as error:
                return Verdict(False, f"the answer does not compute at these sizes: {error}",
                               _sizes(instance))
            if got.shape == expected.shape and np.allclose(got, expected, rtol=RTOL, atol=ATOL):
                continue
            return Verdict(False, _diagnosis(tree, got, expected, derivation, instance, scope),
                           _counterexample(instance, act, got, expected))
    draws = f"{trials * (len(ACTIVATIONS) if generic else 1)} random draws"
    return Verdict(True, f"equivalent: equal to the derived gradient at {draws} of sizes and values"
                   + (f" (g = {', '.join(ACTIVATIONS)})" if generic else ""))


def _scope(derivation: Any, instance: Any, activation: str, shift: int = 0) -> Scope:
    from .expr import Node
    from .numeric import forward
    from .worked import forward_values

    graph, model = derivation.graph, derivation.model
    evaluator = forward(graph, instance, activation)
    values: dict[str, np.ndarray] = {}
    for node in graph.nodes:
        if node.kind == "parameter":
            values[node.ident] = np.asarray(instance.arrays[node.ident])
        elif node.kind == "input" and isinstance(node.value, Node) and node.value.time is not None:
            values[node.ident] = np.asarray(instance.arrays[node.value.name][node.value.time - 1])
    values.update({v.ident: np.asarray(v.numbers) for v in forward_values(derivation, evaluator, 4)})
    label = next((symbol for symbol in model.labels if not symbol.per_step), None)
    one_hot = None
    if label is not None:
        one_hot = np.zeros(instance.sizes[label.shape[0]])
        one_hot[instance.labels[label.name] - 1] = 1.0

    def jacobian(source: str, target: str) -> np.ndarray:
        edge = graph.edge.get((source, target))
        if edge is None:
            raise InputError(f"answer: no edge {source} -> {target} in the graph unrolled for n = {derivation.steps}")
        return evaluator.matrix(edge.jacobian, derivation.formulas)

    first = 1 + model.time_offset
    return Scope(values, jacobian, evaluator.fn, range(first, first + derivation.steps), one_hot)


def _diagnosis(tree: tuple, got: np.ndarray, expected: np.ndarray, derivation: Any, instance: Any,
               scope: Scope) -> str:
    """What the difference looks like: the mistakes recognised, then where the answer's terms part from the
    paths'."""
    found = []
    if got.shape != expected.shape:
        if got.T.shape == expected.shape and _same(got.T, expected):
            return "a missing transpose: the answer is the transpose of the gradient"
        found.append(f"the answer is a {got.shape[0]}×{got.shape[1]} matrix, the gradient {expected.shape[0]}×"
                     f"{expected.shape[1]}")
        return "; ".join(found)
    if _same(got.T, expected):
        return "a missing transpose: the answer is the transpose of the gradient"
    if _same(-got, expected):
        return "the sign: the answer is minus the gradient"
    scale = _factor(got, expected)
    if scale is not None:
        return f"a factor: the answer is {scale:g} times the gradient"
    terms = _path_values(derivation, instance, row=expected.shape[0] == 1 and got.shape[0] == 1)
    for number, (path, value) in enumerate(terms, 1):
        chain = " → ".join(path)
        if _same(expected - got, value):
            return f"a missing path: the answer leaves out path {number}, {chain}"
        if _same(got - expected, value):
            return f"a path counted twice, or an extra term: path {number}, {chain}"
    for shift in (-1, 1):
        try:
            shifted = evaluate(_shifted(tree, shift), scope)
        except (KeyError, ValueError, InputError):
            continue
        if shifted.shape == expected.shape and _same(shifted, expected):
            return f"a step off by one: with every step {'one later' if shift > 0 else 'one earlier'} it is right"
    parts = top_terms(tree)
    everywhere = ((f"a missing transpose on {name}" + (f" in term {k + 1}" if len(parts) > 1 else ""),
                   _summed(parts[:k] + [_transposed_everywhere(part, name)] + parts[k + 1:]))
                  for k, part in enumerate(parts) for name in sorted(_names(part)))
    for description, edited in (*_single_edits(tree), *everywhere):
        try:
            value = evaluate(edited, scope)
        except (KeyError, ValueError, InputError):
            continue
        if _same(value, expected):
            return description
    return _parting(tree, terms, scope)


def _single_edits(tree: tuple, wrap: Callable[[tuple], tuple] = lambda t: t):
    """(what was wrong, the answer with it put right) for each one-place change the common mistakes need: a
    transpose added to or taken from a name, the two factors of a product swapped (a diag on the wrong side), one
    step one earlier or later."""
    kind = tree[0]
    if kind == "name":
        yield f"a missing transpose on {_written(tree)}", wrap(("T", tree))
        if tree[2] is not None:
            for shift in (-1, 1):
                moved = ("name", tree[1], (tree[2][0], tree[2][1] + shift))
                yield f"a step off by one: {_written(tree)} should be {_written(moved)}", wrap(moved)
    if kind == "T" and tree[1][0] == "name":
        yield f"a transpose too many on {_written(tree[1])}", wrap(tree[1])
    if kind == "matmul":
        factors = _chain(tree)
        for i in range(len(factors) - 1):
            swapped = factors[:i] + [factors[i + 1], factors[i]] + factors[i + 2:]
            yield (f"factors in the wrong order: {_written(factors[i + 1])} belongs before {_written(factors[i])}",
                   wrap(_joined(swapped)))
        for i, factor in enumerate(factors):
            yield from _single_edits(factor, _in_chain(wrap, factors, i))
        return
    for i, part in enumerate(tree):
        if isinstance(part, tuple) and part and isinstance(part[0], str) and i > 0 and kind not in ("name", "jac"):
            yield from _single_edits(part, _in_place(wrap, tree, i))


def _in_chain(wrap: Callable[[tuple], tuple], factors: list[tuple], i: int) -> Callable[[tuple], tuple]:
    """The whole answer with factor i of a product replaced."""
    return lambda new: wrap(_joined(factors[:i] + [new] + factors[i + 1:]))


def _in_place(wrap: Callable[[tuple], tuple], tree: tuple, i: int) -> Callable[[tuple], tuple]:
    """The whole answer with part i of a node replaced."""
    return lambda new: wrap(tree[:i] + (new,) + tree[i + 1:])


def _summed(terms: list[tuple]) -> tuple:
    return _folded("add", terms)


def _chain(tree: tuple) -> list[tuple]:
    """The factors of a product a b c ..., left to right."""
    return _chain(tree[1]) + _chain(tree[2]) if tree[0] == "matmul" else [tree]


def _joined(factors: list[tuple]) -> tuple:
    return _folded("matmul", factors)


def _folded(operation: str, parts: list[tuple]) -> tuple:
    """a op b op c ..., grouped from the left as the parser groups it."""
    tree = parts[0]
    for part in parts[1:]:
        tree = (operation, tree, part)
    return tree


def _names(tree: tuple) -> set[str]:
    if tree[0] == "name":
        return {tree[1]}
    return set().union(*(_names(p) for p in tree[1:] if isinstance(p, tuple) and p and isinstance(p[0], str)))


def _transposed_everywhere(tree: tuple, name: str) -> tuple:
    if tree[0] == "name":
        return ("T", tree) if tree[1] == name else tree
    if tree[0] == "T" and tree[1][0] == "name" and tree[1][1] == name:
        return tree[1]
    return tuple(_transposed_everywhere(p, name) if isinstance(p, tuple) and p and isinstance(p[0], str) else p
                 for p in tree)


def _written(tree: tuple) -> str:
    """A piece of the answer, written back."""
    kind = tree[0]
    if kind == "name":
        index = tree[2]
        step = "" if index is None else f"[{index[1]}]" if index[0] == "step" else \
            f"[t{'+' if index[1] > 0 else '-'}{abs(index[1])}]" if index[1] else "[t]"
        return tree[1] + step
    if kind == "T":
        return _written(tree[1]) + "'"
    if kind == "call":
        return f"{tree[1]}({_written(tree[2])})"
    if kind == "num":
        return f"{tree[1]:g}"
    if kind == "matmul":
        return f"{_written(tree[1])} {_written(tree[2])}"
    if kind == "neg":
        return f"-{_written(tree[1])}"
    symbols = {"add": " + ", "sub": " - ", "mul": " * "}
    if kind in symbols:
        return f"({_written(tree[1])}{symbols[kind]}{_written(tree[2])})"
    if kind == "jac":
        return "D(" + " -> ".join(n + ("" if i is None else f"[{i[1]}]") for n, i in tree[1:]) + ")"
    return f"sum_t({_written(tree[1])})"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    if not np.any(expected):
        return None
    ratio = float(np.vdot(expected, got) / np.vdot(expected, expected))
    plain = expected.size > 1 or np.isclose(2 * ratio, round(2 * ratio))  # one number is a multiple of any other
    return ratio if plain and not np.isclose(ratio, 1.0) and _same(got, ratio * expected) else None


def _path_values(derivation: Any, instance: Any, row: bool = False) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """Each path's term at the draw: in the variable's shape, or (``row``) as its product of Jacobians."""
    from .numeric import forward

    evaluator = forward(derivation.graph, instance, derivation.graph.activation)
    return [(term.nodes, np.atleast_2d(evaluator.matrix(term.named, derivation.formulas)) if row else
             _column(evaluator.matrix(term.shaped, derivation.formulas))) for term in derivation.paths]


def _parting(tree: tuple, terms: list, scope: Scope) -> str:
    """The first path whose term no term of the answer equals."""
    if not terms:
        return "the answer differs from the gradient (the factored form has no paths to compare term by term)"
    written = []
    for term in top_terms(tree):
        try:
            written.append(evaluate(term, scope))
        except (KeyError, ValueError, InputError):
            continue
    for number, (path, value) in enumerate(terms, 1):
        if not any(w.shape == value.shape and _same(w, value) for w in written):
            return f"the answer parts from the gradient at path {number}, {' → '.join(path)}: no term of the " \
                   f"answer equals its term"
    return "every path's term is in the answer, and something more: a term that is no path's"


def _shifted(tree: tuple, shift: int) -> tuple:
    """The same answer with every step one later (or earlier)."""
    if tree[0] == "name" and tree[2] is not None:
        kind, value = tree[2]
        return ("name", tree[1], (kind, value + shift))
    if tree[0] == "jac":
        return ("jac",) + tuple((name, None if index is None else (index[0], index[1] + shift))
                                for name, index in tree[1:])
    return tuple(_shifted(part, shift) if isinstance(part, tuple) else part for part in tree)


def _sizes(instance: Any) -> str:
    return ", ".join(f"{name} = {size}" for name, size in instance.sizes.items())


def _counterexample(instance: Any, activation: str, got: np.ndarray, expected: np.ndarray) -> str:
    values = "; ".join(f"{name} = {np.round(np.asarray(value), 3).tolist()}"
                       for name, value in list(instance.arrays.items())[:6])
    sizes = f"{_sizes(instance)}, " if instance.sizes else ""
    return (f"at {sizes}g = {activation}, {values}, …: the answer gives "
            f"{np.round(got, 4).tolist()}, the gradient is {np.round(expected, 4).tolist()}")


# ---------------------------------------------------------------- a class's answers

CSV_COLUMNS = ("student", "sheet", "question", "answer")
VERDICT_COLUMNS = ("student", "sheet", "question", "verdict", "explanation", "counterexample")
PART_OPTIONS = ("wrt", "loss", "activation", "position", "layers", "readout")


def part_options(sheet_path: str, question: str) -> dict[str, Any]:
    """The derive options of a problem set's question ("2", or "2b" for a part), for grading."""
    sheet = _sheet(sheet_path)
    match = re.fullmatch(r"(\d+)([a-z]?)", question.strip())
    if match is None or not 1 <= int(match.group(1)) <= len(sheet.questions):
        raise InputError(f"{sheet_path}: no question {question!r}; the questions are 1 to {len(sheet.questions)} "
                         f"(2b for a part)")
    found = sheet.questions[int(match.group(1)) - 1]
    label = match.group(2)
    if not label and len(found.parts) > 1:
        raise InputError(f"{sheet_path}: question {question} has parts; name one ({question}a, ...)")
    part = next((p for p in found.parts if p.label == label or not label), None)
    if part is None:
        raise InputError(f"{sheet_path}: question {found.number} has no part {label!r}")
    options = part.options()
    if not isinstance(options["steps"], int):
        raise InputError(f"{sheet_path}, question {question}: an answer for any N cannot be judged at numbers; "
                         "give the question a number of steps")
    return {"model": options["model"], "steps": options["steps"],
            **{k: options[k] for k in PART_OPTIONS if k in options}}


_SHEETS: dict[str, Any] = {}


def _sheet(path: str) -> Any:
    from .problemset import read_problem_set

    if path not in _SHEETS:
        _SHEETS[path] = read_problem_set(path)
    return _SHEETS[path]


def grade_rows(rows: list[dict[str, str]], folder: str) -> list[dict[str, str]]:
    """A verdict for each row of a class's answers (student, sheet, question, answer); a sheet or answer that cannot
    be read is a verdict of its own, "unreadable", with the reason."""
    import os

    verdicts = []
    for row in rows:
        sheet = os.path.join(folder, row.get("sheet", ""))
        found = {"student": row.get("student", ""), "sheet": row.get("sheet", ""), "question": row.get("question", "")}
        try:
            options = part_options(sheet, row.get("question", ""))
            verdict = grade(row.get("answer", ""), options.pop("model"), options.pop("steps"), **options)
            found.update(verdict="equivalent" if verdict.equivalent else "not equivalent",
                         explanation=verdict.explanation, counterexample=verdict.counterexample)
        except InputError as error:
            found.update(verdict="unreadable", explanation=str(error), counterexample="")
        verdicts.append(found)
    return verdicts
