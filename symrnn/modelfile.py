"""Model files: a network written as YAML, its equations in the math language of ``grammar.py``.

    name: elman
    dimensions: {d: input size, m: hidden units, K: classes}
    parameters: {W_hx: {shape: [m, d], latex: 'W^{hx}'}, W_hh: [m, m], b_h: [m], h_0: [m], V: [K, m], gamma: [K]}
    inputs: {x: [d]}
    labels: {y: K}
    states: {h: h_0}
    step: |
      a = W_hx x + W_hh h[t-1] + b_h   # inline
      h = g(a)
    readout: |
      l = V h[n] + gamma
      q = logsoftmax(l)
      o = -q[y]
    loss: o

The file is read with PyYAML's safe loader and never evaluated; every error is one line naming the file, the
line and the column.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .errors import InputError
from .expr import Ref, TimeSum, walk
from .grammar import ANY, ModelFileError, Parser, Scope, Where
from .limits import MAX_MODEL_BYTES
from .models import ZERO, Definition, Dim, Model, Symbol

KEYS = ("name", "title", "source", "dimensions", "parameters", "inputs", "labels", "states", "step", "readout",
        "loss", "wrt", "latex", "notation")

NOTATION = {"time_from": (0, 1), "time_style": ("superscript", "subscript"), "scalar": (True, False)}
"""notation: how the source writes time (its first step, h^{(t)} or h_t) and, under "g", its generic function."""

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "sigma", "tau", "phi", "psi",
          "omega", "rho", "xi", "zeta", "kappa", "nu", "pi", "chi", "iota", "upsilon"}


def load_model(path: str) -> Model:
    """The Model a model file describes, or a ModelFileError naming the file, line and column."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_MODEL_BYTES + 1)
    except OSError as error:
        raise ModelFileError(f"cannot read model file {path}: {error.strerror or error}") from None
    if len(raw) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{path} is larger than the limit for a model file, 1 MiB ({MAX_MODEL_BYTES:,} bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ModelFileError(f"{path}: byte {raw[error.start]:#04x} at offset {error.start} is not UTF-8") from None
    return model_from_text(text, path)


def model_from_text(text: str, file: str = "<model>") -> Model:
    """The Model that the text of a model file describes."""
    return model_from_data(yaml_mapping(text, file), text, file)


def model_from_data(data: dict, text: str, file: str) -> Model:
    """The Model of a model file's mapping (``text``, the file's text, places an error on its line)."""
    unknown = [key for key in data if key not in KEYS]
    if unknown:
        raise ModelFileError(f"{file}: unknown key {unknown[0]!r}; a model file has {', '.join(KEYS)}")
    for key in ("name", "parameters", "step", "loss"):
        if key not in data:
            raise ModelFileError(f"{file}: {key} is missing; see the README's model files")
    try:
        return _Reader(data, text, file).model()
    except RecursionError:  # a line of thousands of unary minus signs
        raise ModelFileError(f"{file}: an equation is nested too deep; split it into several") from None


def yaml_mapping(text: str, file: str) -> dict:
    """The file's mapping, read as a values file is: aliases, depth and keys bounded (an alias bomb is refused)."""
    from .bounded import bounded_yaml

    try:
        data = bounded_yaml(text, file)
    except InputError as error:
        raise ModelFileError(str(error)) from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{file} must hold a mapping (name:, parameters:, step:, ...)")
    return data


def _dim(name: str, words: object, file: str) -> Dim:
    """A dimension; one named k*m is k times m (the size of a concat of k vectors of size m)."""
    match = re.fullmatch(r"(\d+)\*([A-Za-z_]\w*)", name)
    if match is None and not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ModelFileError(f"{file}: dimension {name!r} is not a name (m) or a multiple of one (2*m); quote a "
                             f"description that holds commas")
    if words is None:
        raise ModelFileError(f"{file}: dimension {name!r} has no description (a comma in an unquoted description "
                             f"of another one starts a new name: quote it)")
    return Dim(name, str(words), (int(match.group(1)), match.group(2)) if match else None)


def _lookahead(name: str, step: tuple[Definition, ...]) -> int:
    """How many steps beyond the last an input is read (x[t+1]: a next-step target)."""
    shifts = [item.shift for d in step for item in walk(d.expr) if isinstance(item, Ref) and item.name == name]
    return max([0] + shifts)


def default_latex(name: str) -> str:
    """How a name is typeset when the file does not say: alpha as α, W_f as W_{f}, htilde as h̃, L_t as L, a word
    such as loss upright."""
    if name.endswith("_t") and len(name) > 2:
        return default_latex(name[:-2])
    for accent in ("tilde", "hat", "bar"):
        if name.endswith(accent) and len(name) > len(accent):
            return rf"\{accent}{{{default_latex(name[:-len(accent)])}}}"
    base, _, sub = name.partition("_")
    base = f"\\{base}" if base in _GREEK else rf"\mathrm{{{base}}}" if len(base) > 1 else base
    return f"{base}_{{{sub}}}" if sub else base


class _Reader:
    """One model file's sections, read in order, each name checked against what came before."""

    def __init__(self, data: dict, text: str, file: str) -> None:
        self.data, self.lines, self.file = data, text.splitlines(), file
        self.cursor = 0
        """The line after the last equation placed (where the next one is looked for)."""
        self.backward: set[str] = set()
        """Inline step definitions computed from t = n down (they read a state at t+1): what reads them is too."""
        self.latex = self.mapping("latex")

    def model(self) -> Model:
        dims = tuple(_dim(str(name), words, self.file) for name, words in self.mapping("dimensions").items())
        params = tuple(self.symbol(name, spec) for name, spec in self.mapping("parameters").items())
        inputs = tuple(self.symbol(name, spec, "input sequence") for name, spec in self.mapping("inputs").items())
        labels = tuple(self.label(name, spec) for name, spec in self.mapping("labels").items())
        states, state_shapes = self.states()
        self.check_dims(dims, params + inputs + labels)
        scope = Scope({p.name: p.shape for p in params}, {i.name: i.shape for i in inputs},
                      {label.name: (label.shape[0], label.per_step) for label in labels}, states,
                      dims=tuple(d.name for d in dims), state_shapes=state_shapes)
        step = self.section("step", scope)
        scope.steps, scope.defined, scope.in_step = dict(scope.defined), {}, False
        readout = self.section("readout", scope) if "readout" in self.data else ()
        loss = str(self.data["loss"])
        self.check_whole(params, states, {i.name for i in inputs}, step + readout, loss)
        inputs = tuple(replace(i, lookahead=_lookahead(i.name, step + readout)) for i in inputs)
        return Model(
            name=str(self.data["name"]), title=str(self.data.get("title", self.data["name"])),
            source=str(self.data.get("source", "a model file")), dims=dims, params=params, inputs=inputs,
            labels=labels, initial=tuple(states.items()), step=step, readout=readout, loss=loss,
            default_wrt=str(self.data.get("wrt", params[0].name if params else "")), **self.notation(),
        )

    def notation(self) -> dict:
        """The Model's notation fields from ``notation: {time_from: 0, time_style: subscript, g: '\\sigma'}``."""
        given = self.mapping("notation")
        for key, value in given.items():
            if key != "g" and (key not in NOTATION or value not in NOTATION[key]):
                choices = "; ".join(f"{k}: {' or '.join(map(str, v))}" for k, v in NOTATION.items())
                raise ModelFileError(f"{self.file}: notation {key}: {value!r} is not known; it takes {choices}, "
                                     f"and g: its LaTeX")
        found = {"time_offset": given.get("time_from", 1) - 1, "time_style": given.get("time_style", "superscript"),
                 "scalar": bool(given.get("scalar", False))}
        return found | ({"generic_latex": str(given["g"])} if "g" in given else {})

    def states(self) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        """Each state's value before the first step (a parameter's name, or ZERO), and the shapes given for states
        that start at zero (h: {initial: 0, shape: [m]}), which no parameter tells."""
        initial, shapes = {}, {}
        for name, spec in self.mapping("states").items():
            if isinstance(spec, dict):
                self.known_keys(name, spec, ("initial", "shape"))
            start = spec.get("initial") if isinstance(spec, dict) else spec
            initial[str(name)] = ZERO if start == 0 else str(start)
            if isinstance(spec, dict) and isinstance(spec.get("shape"), list):
                shapes[str(name)] = tuple(str(d) for d in spec["shape"])
        return initial, shapes

    def known_keys(self, name: object, spec: dict, keys: tuple[str, ...]) -> None:
        """Refuse a key the entry does not take (an unquoted description with a comma makes one)."""
        unknown = [str(key) for key in spec if key not in keys]
        if unknown:
            raise ModelFileError(f"{self.file}: {name} has an unknown key {unknown[0]!r} (it takes "
                                 f"{', '.join(keys)}); quote a description that holds a comma")

    def mapping(self, key: str) -> dict:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise ModelFileError(f"{self.file}: {key} must be a mapping (name: value, ...)")
        return value

    def symbol(self, name: object, spec: object, description: str = "") -> Symbol:
        shape, latex, words = spec, None, description
        if isinstance(spec, dict):
            self.known_keys(name, spec, ("shape", "latex", "description"))
            shape, latex, words = spec.get("shape", []), spec.get("latex"), spec.get("description", description)
        if not isinstance(shape, list) or not all(isinstance(d, str) for d in shape) or len(shape) > 2:
            raise ModelFileError(f"{self.file}: {name} needs a shape: [] (a number), [m] (a vector) or [m, d] "
                                 f"(a matrix), with dimension names")
        return Symbol(str(name), tuple(shape), str(latex or self.latex.get(name) or default_latex(str(name))),
                      str(words or ""))

    def label(self, name: object, spec: object) -> Symbol:
        size, per_step, words = spec, False, None
        if isinstance(spec, dict):
            self.known_keys(name, spec, ("size", "per_step", "description"))
            size, per_step, words = spec.get("size"), bool(spec.get("per_step")), spec.get("description")
        if not isinstance(size, str):
            raise ModelFileError(f"{self.file}: label {name} needs the dimension it ranges over (y: K)")
        return Symbol(str(name), (size,), str(self.latex.get(name, default_latex(str(name)))),
                      str(words or f"the correct label, 1..{size}"), per_step=per_step)

    def check_dims(self, dims: tuple[Dim, ...], symbols: tuple[Symbol, ...]) -> None:
        known = {d.name for d in dims}
        for symbol in symbols:
            for dim in symbol.shape:
                if dim not in known:
                    raise ModelFileError(f"{self.file}: {symbol.name} uses dimension {dim!r}, which dimensions "
                                         f"does not name")

    def check_whole(self, params: tuple[Symbol, ...], states: dict[str, str], inputs: set[str],
                    definitions: tuple[Definition, ...], loss: str) -> None:
        """What no single equation shows: a parameter nothing reads, a state never defined, the loss. An input
        may be listed in states: its value before the first step (x[t-1] at t = 1)."""
        shapes = {d.name: d.shape for d in definitions}
        read = {item.name for d in definitions for item in walk(d.expr) if isinstance(item, Ref)}
        read |= {initial for state, initial in states.items() if state in shapes or state in inputs}
        unread = [p.name for p in params if p.name not in read]
        if unread:
            raise ModelFileError(f"{self.file}: {unread[0]} is a parameter nothing reads; use it or remove it")
        undefined = [state for state in states if state not in shapes and state not in inputs]
        if undefined:
            raise ModelFileError(f"{self.file}: the state {undefined[0]} is never defined in step")
        if loss not in shapes:
            raise ModelFileError(f"{self.file}: the loss {loss} is not defined; name an equation's left-hand side")
        if shapes[loss] != ():
            raise ModelFileError(f"{self.file}: the loss {loss} is not a number (it is {' x '.join(shapes[loss])}); "
                                 f"reduce it, for example with norm2(...) or -logsoftmax(...)[y]")

    def section(self, key: str, scope: Scope) -> tuple[Definition, ...]:
        text = self.data.get(key)
        if not isinstance(text, str):
            raise ModelFileError(f"{self.file}: {key} must be equations, one a line (use {key}: |)")
        found = []
        self.cursor = next((number for number, line in enumerate(self.lines) if line.startswith(f"{key}:")), 0)
        for line in text.splitlines():
            equation = line.split("#", 1)[0].strip()
            if equation:
                found.append(self.equation(equation, "inline" in line.partition("#")[2], scope))
        return tuple(found)

    def where(self, equation: str) -> Where:
        """Where an equation stands in the file: the first line at or after the previous equation's (and after its
        section's key) that holds it, so that two equal lines each report their own."""
        for number in range(self.cursor, len(self.lines)):
            if equation in self.lines[number]:
                self.cursor = number + 1
                return Where(self.file, number + 1, self.lines[number].index(equation) + 1)
        return Where(self.file, 0, 1)

    def equation(self, text: str, inline: bool, scope: Scope) -> Definition:
        where = self.where(text)
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)", text)
        if match is None:
            raise ModelFileError(f"{where.at(0)}: an equation is NAME = expression")
        name, body = match.group(1), match.group(2)
        if name in scope.defined or name in scope.params or name in scope.inputs:
            raise ModelFileError(f"{where.at(0)}: {name} is defined twice")
        expr, shape = Parser(body, Where(self.file, where.line, where.column + match.start(2)), scope).parse()
        if name in scope.steps and expr != TimeSum(Ref(name)):  # L = sum_t(L) may share its terms' name
            raise ModelFileError(f"{where.at(0)}: {name} is defined twice")
        if shape == ANY:
            raise ModelFileError(f"{where.at(0)}: {name} is a bare number; give it a parameter")
        scope.defined[name] = shape
        backward = any(isinstance(item, Ref) and (item.shift > 0 and item.name in scope.states
                                                   or item.shift == 0 and item.name in self.backward)
                       for item in walk(expr)) and scope.in_step
        if backward and inline:  # a backward abbreviation makes what reads it backward; a backward node does not
            self.backward.add(name)
        return Definition(name, shape, str(self.latex.get(name, default_latex(name))), expr, inline, backward)
