"""A model from SymPy matrix expressions: ``MatrixSymbol`` parameters and inputs, ``MatMul``, ``MatAdd``,
``HadamardProduct``, scalar multiples, ``OneMatrix`` and elementwise functions applied with ``.applyfunc``.

The expressions are read as trees, never evaluated or differentiated by SymPy: each is written out in the model-file
language and read by the model-file reader, so a network written in SymPy gets the same checks (shapes, names, the
loss) and gives the same derivations as the same network written as a file. ``model_file_from_sympy`` returns that
file, to keep or to change.

SymPy sorts the terms of a sum and the factors of a ⊙ product (``evaluate(False)`` does not keep them), so symrnn
puts them in the order a textbook writes them:

- a sum: a number first (1 - z), then the terms that read an input (W x), then those that read a state's previous
  value (U h^{(t-1)}), then those that read an earlier equation (z ⊙ h̃), and the parameters alone (biases) last;
- a ⊙ product: factors that read a state's previous value last, the others in the order of the equations they read
  (z ⊙ h̃, r ⊙ h^{(t-1)}, (1 - z) ⊙ h^{(t-1)});
- a scalar multiple: the scalar first (α h^{(t-1)}).
Ties keep SymPy's own (deterministic) order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy
from sympy import Basic, MatrixExpr
from sympy.matrices.expressions.matexpr import MatrixElement

from .errors import InputError
from .models import Model

FUNCTION_NAMES = {"tanh": "tanh", "exp": "exp", "log": "log", "sigmoid": "sigmoid", "relu": "relu", "g": "g",
                  "identity": "identity", "softplus": "softplus"}
"""SymPy functions (built in, or ``Function('sigmoid')``) and what the model language calls them."""


class VectorFunction(MatrixExpr):
    """A function of a vector that SymPy does not have, kept as a node (an entry of it stays unexpanded)."""

    language = ""

    def __new__(cls, arg: MatrixExpr) -> VectorFunction:
        return Basic.__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _entry(self, i, j, **kwargs):
        return MatrixElement(self, i, j)


class logsoftmax(VectorFunction):  # noqa: N801 - named as the model language and PyTorch name it
    """log softmax(v), entrywise v_i - log Σ_j exp v_j."""

    language = "logsoftmax"


class softmax(VectorFunction):  # noqa: N801
    """softmax(v), entrywise exp v_i / Σ_j exp v_j."""

    language = "softmax"


class norm2(sympy.Function):  # noqa: N801
    """‖v‖², the squared Euclidean norm of a vector (a number)."""


class sum_t(sympy.Function):  # noqa: N801
    """Σ_t of a per-step number (the loss summed over time)."""


@dataclass(frozen=True)
class _Written:
    """A subtree written in the model language, and what it reads (for the order of sums and products)."""

    text: str
    reads: frozenset[str]
    """Of "number", "input", "previous", "parameter", and "equation:K" (the K-th equation)."""
    kind: str
    """How tightly it binds: "atom" (a name, a call, an entry), "matmul", "neg", "product", "sum"."""

    @property
    def last_equation(self) -> int:
        return max([int(r.split(":")[1]) for r in self.reads if r.startswith("equation:")] or [-1])


_TIGHTER = {"atom": 0, "matmul": 1, "neg": 2, "product": 3, "sum": 4}


class _Writer:
    """SymPy trees written as model-file equations, earlier equations and states named."""

    def __init__(self, inputs: set[str], previous: dict[Basic, str], labels: set[str]) -> None:
        self.inputs, self.previous, self.labels = inputs, previous, labels
        self.equations: dict[Basic, tuple[str, int]] = {}
        """An earlier equation's expression (or symbol) → its name and number."""
        self.step_names: set[str] = set()
        self.in_readout = False

    def define(self, name: str, expr: Basic) -> None:
        number = len(self.equations)
        self.equations.setdefault(expr, (name, number))
        self.equations.setdefault(_symbol_like(expr, name), (name, number))

    def write(self, expr: Basic) -> _Written:
        if expr in self.equations:
            name, number = self.equations[expr]
            text = f"{name}[n]" if self.in_readout and name in self.step_names else name
            return _Written(text, frozenset({f"equation:{number}"}), "atom")
        if expr in self.previous:
            return _Written(f"{self.previous[expr]}[t-1]", frozenset({"previous"}), "atom")
        method = getattr(self, f"_{type(expr).__name__}", None)
        if method is None:
            for base in type(expr).__mro__:
                method = getattr(self, f"_{base.__name__}", None)
                if method is not None:
                    break
        if method is None:
            raise InputError(f"from_sympy: {expr} ({type(expr).__name__}) is not in the model language; see the "
                             f"README's model files for what it has")
        return method(expr)

    def _MatrixSymbol(self, expr) -> _Written:  # noqa: N802 - one method per SymPy class
        return self._name(str(expr.name))

    def _Symbol(self, expr) -> _Written:  # noqa: N802
        return self._name(str(expr.name))

    def _name(self, name: str) -> _Written:
        _check_name(name)
        kind = "input" if name in self.inputs else "parameter"
        return _Written(name, frozenset({kind}), "atom")

    def _Integer(self, expr) -> _Written:  # noqa: N802
        return self._number(expr)

    def _Rational(self, expr) -> _Written:  # noqa: N802
        return self._number(expr)

    def _Float(self, expr) -> _Written:  # noqa: N802
        return self._number(expr)

    def _number(self, expr) -> _Written:
        if expr < 0:
            return self._negated(self._number(-expr))
        text = str(expr) if expr.is_Integer else repr(float(expr))
        return _Written(text, frozenset({"number"}), "atom")

    def _OneMatrix(self, expr) -> _Written:  # noqa: N802
        return _Written("1", frozenset({"number"}), "atom")

    def _MatAdd(self, expr) -> _Written:  # noqa: N802
        return self._sum(expr.args)

    def _Add(self, expr) -> _Written:  # noqa: N802
        return self._sum(expr.args)

    def _sum(self, args) -> _Written:
        terms = sorted((self.write(arg) for arg in _flatten(args, (sympy.MatAdd, sympy.Add))), key=_term_rank)
        text = terms[0].text
        for term in terms[1:]:
            text += f" - {term.text[1:]}" if term.kind == "neg" else f" + {term.text}"
        return _Written(text, frozenset().union(*(t.reads for t in terms)), "sum")

    def _HadamardProduct(self, expr) -> _Written:  # noqa: N802
        factors = sorted((self.write(arg) for arg in _flatten(expr.args, (sympy.HadamardProduct,))),
                         key=lambda f: ("previous" in f.reads, f.last_equation))
        return self._product(factors)

    def _product(self, factors: list[_Written]) -> _Written:
        text = " * ".join(_wrapped(f, "neg") for f in factors)
        return _Written(text, frozenset().union(*(f.reads for f in factors)), "product")

    def _MatMul(self, expr) -> _Written:  # noqa: N802
        return self._multiple(expr.args)

    def _Mul(self, expr) -> _Written:  # noqa: N802
        return self._multiple(expr.args)

    def _multiple(self, args) -> _Written:
        """Scalars first (as ``*``), then matrix products (juxtaposed); a coefficient -1 is a unary minus."""
        args = _flatten(args, (sympy.MatMul, sympy.Mul))
        sign = -1 if any(a == -1 for a in args) else 1
        args = [a for a in args if a != -1]
        scalars = [a for a in args if not getattr(a, "is_Matrix", False)]
        matrices = [a for a in args if getattr(a, "is_Matrix", False)]
        written: list[_Written] = [self.write(a) for a in scalars]
        if matrices:
            parts = [self.write(m) for m in matrices]
            matmul = parts[0] if len(parts) == 1 else _Written(
                " ".join(_wrapped(p, "atom") for p in parts), frozenset().union(*(p.reads for p in parts)), "matmul")
            written.append(matmul)
        whole = written[0] if len(written) == 1 else self._product(written)
        return self._negated(whole) if sign < 0 else whole

    def _negated(self, value: _Written) -> _Written:
        return _Written(f"-{_wrapped(value, 'matmul')}", value.reads, "neg")

    def _ElementwiseApplyFunction(self, expr) -> _Written:  # noqa: N802
        return self._call(_function_name(expr.function), self.write(expr.expr))

    def _Function(self, expr) -> _Written:  # noqa: N802
        name = getattr(type(expr), "name", None) or type(expr).__name__
        if isinstance(expr, (norm2, sum_t)):
            name = type(expr).__name__
        elif name not in FUNCTION_NAMES:
            raise InputError(f"from_sympy: the function {name} is not in the model language; it has "
                             f"{', '.join(sorted(set(FUNCTION_NAMES) | {'logsoftmax', 'softmax', 'norm2', 'sum_t'}))}")
        if len(expr.args) != 1:
            raise InputError(f"from_sympy: {expr} takes one argument")
        return self._call(FUNCTION_NAMES.get(name, name), self.write(expr.args[0]))

    def _VectorFunction(self, expr) -> _Written:  # noqa: N802
        return self._call(type(expr).language, self.write(expr.args[0]))

    def _call(self, name: str, arg: _Written) -> _Written:
        return _Written(f"{name}({arg.text})", arg.reads, "atom")

    def _MatrixElement(self, expr) -> _Written:  # noqa: N802
        parent, row, column = expr.args
        if column != 0 or str(row) not in self.labels:
            raise InputError(f"from_sympy: {expr}: an entry is picked by a label, as q[y, 0] (labels: "
                             f"{', '.join(sorted(self.labels)) or 'none given'})")
        picked = self.write(parent)
        if picked.kind != "atom":
            raise InputError(f"from_sympy: {expr}: pick an entry of a named equation or a function's value")
        return _Written(f"{picked.text}[{row}]", picked.reads, "atom")


def _symbol_like(expr: Basic, name: str) -> Basic:
    """The MatrixSymbol (or Symbol) a user may write for an equation's value instead of its expression."""
    if getattr(expr, "is_Matrix", False):
        return sympy.MatrixSymbol(name, *expr.shape)
    return sympy.Symbol(name)


def _flatten(args: tuple, kinds: tuple[type, ...]) -> list:
    """Nested sums (or products) of one kind as one list, as SymPy leaves them under ``evaluate(False)``."""
    found: list = []
    for arg in args:
        children: tuple = arg.args
        found.extend(_flatten(children, kinds) if isinstance(arg, kinds) else [arg])
    return found


def _term_rank(term: _Written) -> int:
    """Where a term goes in a sum: numbers, inputs, previous states, earlier equations, parameters alone."""
    for rank, kind in enumerate(("number", "input", "previous")):
        if kind in term.reads and (kind != "number" or term.reads == {"number"}):
            return rank
    return 3 if term.last_equation >= 0 else 4


def _wrapped(value: _Written, loosest: str) -> str:
    """``value`` in parentheses if it binds more loosely than ``loosest``."""
    return f"({value.text})" if _TIGHTER[value.kind] > _TIGHTER[loosest] else value.text


def _function_name(function: Basic) -> str:
    """The model language's name of an elementwise function given to ``.applyfunc`` (a SymPy function, or a
    Lambda that applies one to its variable)."""
    if isinstance(function, sympy.Lambda) and len(function.variables) == 1:
        body = function.expr
        if isinstance(body, sympy.Function) and body.args == function.variables:
            function = body.func
    name = getattr(function, "name", None) or getattr(function, "__name__", "")
    if name not in FUNCTION_NAMES:
        raise InputError(f"from_sympy: .applyfunc({function}) is not a function of the model language; use one of "
                         f"{', '.join(FUNCTION_NAMES)} (sympy.tanh, or sympy.Function('sigmoid'), ...)")
    return FUNCTION_NAMES[name]


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise InputError(f"from_sympy: {name!r} is not a name the model language can write (letters, digits, _)")


def _shape(symbol: Basic) -> list[str]:
    """A MatrixSymbol's shape as dimension names: (m, d) → [m, d], (m, 1) → [m]; a Symbol is a number, []."""
    if not getattr(symbol, "is_Matrix", False):
        return []
    rows, columns = symbol.shape
    dims = [str(rows)] + ([] if columns == 1 else [str(columns)])
    for dim in dims:
        if not re.fullmatch(r"[A-Za-z_]\w*|\d+\*[A-Za-z_]\w*", dim.replace(" ", "")):
            raise InputError(f"from_sympy: {symbol} has the shape {symbol.shape}; shapes are named dimensions "
                             f"(sympy.symbols('m d K'))")
    return [d.replace(" ", "") for d in dims]


def _quoted(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z][\w .\-]*", text) else "'" + text.replace("'", "''") + "'"


def model_file_from_sympy(*, name: str, step: Mapping[str, Basic], loss: str,
                          states: Mapping[str, tuple[Basic, Basic | int]], inputs: Sequence[Basic],
                          readout: Mapping[str, Basic] | None = None, labels: Mapping[Basic, Basic] | None = None,
                          parameters: Sequence[Basic] | None = None, inline: Sequence[str] = (),
                          latex: Mapping[str, str] | None = None, descriptions: Mapping[str, str] | None = None,
                          dimensions: Mapping[str, str] | None = None,
                          title: str | None = None, source: str | None = None, wrt: str | None = None) -> str:
    """The model file (YAML text) of a network written with SymPy matrix expressions; ``from_sympy`` reads it.

    ``step`` and ``readout``: equation name → expression, in order (an earlier equation is named wherever its
    expression, or a MatrixSymbol of its name, appears); ``states``: state → (the MatrixSymbol that stands for its
    previous value, its initial value: a parameter or 0); ``inputs``: the per-step inputs; ``labels``: label symbol
    → the dimension it ranges over; ``parameters``: their order (default: as first read, initial states after the
    step's); ``inline``: the abbreviations (printed by name, not nodes of the graph); ``latex``: how names are
    typeset; ``descriptions``: what parameters and inputs mean; ``dimensions``: what each dimension means."""
    readout, labels, latex, words = dict(readout or {}), dict(labels or {}), dict(latex or {}), dict(descriptions or {})
    previous = {symbol: state for state, (symbol, _) in states.items()}
    writer = _Writer({str(i.name) for i in inputs}, previous, {str(label) for label in labels})
    lines: dict[str, list[str]] = {"step": [], "readout": []}
    for section, equations in (("step", step), ("readout", readout)):
        writer.in_readout = section == "readout"
        for equation, expr in equations.items():
            _check_name(equation)
            written = writer.write(sympy.Number(expr) if isinstance(expr, (int, float)) else expr)
            lines[section].append(f"  {equation} = {written.text}" + ("   # inline" if equation in inline else ""))
            writer.define(equation, expr)
            if section == "step":
                writer.step_names.add(equation)
    written_order = [*_names(lines["step"]), *(str(start) for _, start in states.values()), *_names(lines["readout"])]
    found = _parameters(step, readout, states, inputs, labels, previous, parameters, written_order)
    dims = _dimensions(list(found) + list(inputs), labels, dimensions or {})
    source = source or "a network written with SymPy matrix symbols"
    text = [f"name: {name}", f"title: {_quoted(title or name)}", f"source: {_quoted(source)}"]
    if dims:
        text += ["dimensions:"] + [f"  {_quoted(d) if '*' in d else d}: {_quoted(words)}" for d, words in dims.items()]
    text += ["parameters:"] + [_entry(p, latex, words) for p in found]
    text += ["inputs:"] + [_entry(i, latex, words) for i in inputs]
    if labels:
        text += ["labels:"] + [f"  {label}: {size}" for label, size in labels.items()]
    initial = {state: 0 if start == 0 else str(start) for state, (_, start) in states.items()}
    text += ["states: {" + ", ".join(f"{s}: {_state(s, v, step)}" for s, v in initial.items()) + "}"]
    own = {key: value for key, value in latex.items() if key in step or key in readout or key in labels}
    if own:
        text += ["latex: {" + ", ".join(f"{key}: {_quoted(value)}" for key, value in own.items()) + "}"]
    text += ["step: |"] + lines["step"]
    if readout:
        text += ["readout: |"] + lines["readout"]
    text += [f"loss: {loss}"] + ([f"wrt: {wrt}"] if wrt else [])
    return "\n".join(text) + "\n"


def _state(state: str, start: object, step: Mapping[str, Basic]) -> str:
    if start != 0:
        return str(start)
    return "{initial: 0, shape: [" + ", ".join(_shape(step[state])) + "]}"


def _entry(symbol: Basic, latex: Mapping[str, str], words: Mapping[str, str]) -> str:
    name = str(symbol.name)
    given = f", latex: {_quoted(latex[name])}" if name in latex else ""
    given += f", description: {_quoted(words[name])}" if name in words else ""
    return f"  {name}: {{shape: [{', '.join(_shape(symbol))}]{given}}}"


def _parameters(step: Mapping[str, Basic], readout: Mapping[str, Basic], states, inputs, labels, previous,
                order: Sequence[Basic] | None, written: list[str]) -> dict[Basic, None]:
    """Every symbol the equations read that is not an input, a label, a previous state, a dimension or an equation,
    in the order given or as the written equations first name them (a state's initial value after the step's)."""
    skip = set(inputs) | set(labels) | set(previous) | set(labels.values())
    names = set(step) | set(readout)
    dims = {s for expr in list(step.values()) + list(readout.values()) for m in _matrices(expr) for s in
            sympy.Tuple(*m.shape).free_symbols}
    read: dict[Basic, None] = {}
    for expr in list(step.values()):
        read.update(dict.fromkeys(_symbols(expr)))
    read.update(dict.fromkeys(start for _, start in states.values() if start != 0))
    for expr in readout.values():
        read.update(dict.fromkeys(_symbols(expr)))
    found = {s: None for s in read if s not in skip and s not in dims and str(s.name) not in names}
    if order is None:
        place = {name: i for i, name in reversed(list(enumerate(written)))}
        return dict.fromkeys(sorted(found, key=lambda symbol: place[str(symbol)]))
    missing = [str(s) for s in found if s not in order]
    if missing:
        raise InputError(f"from_sympy: parameters= leaves out {', '.join(missing)}, which the equations read")
    return dict.fromkeys(order)


def _names(lines: list[str]) -> list[str]:
    """The names in written equations, in order (parameters among them)."""
    return re.findall(r"[A-Za-z_]\w*", "\n".join(lines))


def _symbols(expr: Basic) -> list[Basic]:
    """MatrixSymbols and Symbols in the order a preorder walk meets them (SymPy's order of the arguments)."""
    found: list[Basic] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.MatrixSymbol, sympy.Symbol)) and not isinstance(node, sympy.Dummy) \
                and node not in found:
            found.append(node)
    return found


def _matrices(expr: Basic) -> list[Basic]:
    return [node for node in sympy.preorder_traversal(expr) if isinstance(node, sympy.MatrixSymbol)]


def _dimensions(symbols: list[Basic], labels: Mapping[Basic, Basic], described: Mapping[str, str]) -> dict[str, str]:
    """Each dimension the shapes name, in order of first use, with its description (its name if none is given)."""
    found: dict[str, str] = {}
    for symbol in symbols:
        for dim in _shape(symbol):
            found.setdefault(dim, described.get(dim, dim))
    for size in labels.values():
        found.setdefault(str(size), described.get(str(size), str(size)))
    return {dim: described.get(dim, words) for dim, words in
            sorted(found.items(), key=lambda item: list(described).index(item[0]) if item[0] in described else 99)}


def from_sympy(**model: object) -> Model:
    """The Model of a network written with SymPy matrix expressions (the arguments of ``model_file_from_sympy``),
    read as a model file is: shapes, names and the loss checked; an InputError names what is wrong."""
    from .modelfile import model_from_text

    return model_from_text(model_file_from_sympy(**model), "<from_sympy>")  # type: ignore[arg-type]
