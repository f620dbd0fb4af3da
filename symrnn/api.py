"""The library: the whole pipeline in a few calls, every option keyword-only and checked as the command line
checks it (one-line ``SymrnnError`` subclasses, never ``KeyError`` or ``ValueError``).

    >>> import symrnn
    >>> result = symrnn.derive("elman", 3, activation="tanh")
    >>> report = symrnn.check(result)                 # complex steps, or reverse mode for large graphs
    >>> text = symrnn.render(result, "markdown", check=report)
    >>> symrnn.evaluate(result, {"W_hx": [[0.5, -0.3], [0.1, 0.8]], ...})  # doctest: +SKIP

``document`` does all of it at once, as ``symrnn derive`` does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import islice
from typing import Literal, Union

from . import validate
from .activations import ACTIVATIONS
from .catalogue import MAX_LAYERS, MODELS, READOUTS, catalogue_text, get_model
from .derivation import FORMS, Derivation, derive_whole
from .derivation import derive as derive_one
from .errors import CheckFailed, InputError
from .graph import GENERIC, unroll
from .latex import NotationPrinter
from .limits import (
    DIGITS,
    MAX_COUNT_STEPS,
    MAX_DIGITS,
    MAX_LIST,
    MAX_PATHS,
    MAX_PATHS_LIMIT,
    MAX_ROUND_SIZE,
    MAX_SEED,
    MAX_STEPS,
    ROUND_SIZE,
)
from .models import Model
from .notebook import Displayed
from .paths import count_paths, iter_paths
from .present import Document, Value, Whole, model_equations, present, present_whole, with_sensitivities
from .rendering import HEADING_LEVEL
from .rendering import render as render_document
from .report import CheckReport

Form = Literal["auto", "paths", "factored", "both"]
Notation = Literal["jacobian", "leibniz"]
NOTATIONS = ("jacobian", "leibniz")
Format = Literal["latex", "markdown", "gfm", "json"]
ActivationName = Literal["g", "tanh", "sigmoid", "relu", "identity", "relu-active", "exp", "softplus"]
ReadoutName = Literal["final", "every"]

DEFAULT_LIST = 20
"""How many paths ``path_report`` lists when not told."""

ALL = "all"
"""``wrt="all"``: the gradient with respect to every parameter."""


@dataclass(frozen=True, repr=False)
class Gradient(Displayed):
    """The whole gradient (``wrt="all"``): a derivation for every parameter the loss depends on, in the model's
    order, all sharing one recursion. In Jupyter it shows itself as Markdown."""

    parts: tuple[Derivation, ...]

    def summary(self) -> str:
        first = self.parts[0]
        return f"the gradient of {first.loss} of {first.model.name}, n = {first.steps}, {len(self.parts)} parameters"


Result = Union[Derivation, Gradient]
"""What ``derive`` returns: one parameter's derivation, or the whole gradient."""


def is_model_file(text: str) -> bool:
    """Whether a --model value names a file rather than a built-in model."""
    return text.endswith((".yaml", ".yml")) or "/" in text


def catalogue_file(name: str) -> str:
    """The model file of a built-in model (``catalogue/NAME.yaml``): shipped in the package, or, run from a
    checkout that is not installed, the checkout's own; the built-in model is read from it."""
    return catalogue_text(validate.choice("--show", name, MODELS))


def read_model_file(path: str) -> Model:
    from .modelfile import load_model as read  # YAML and the grammar are imported only for a model file

    return read(path)


def load_model(path_or_text: str | os.PathLike) -> Model:
    """A model file (a path), or the text of one (anything with a line break), as a Model for ``derive``."""
    from .modelfile import model_from_text

    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return model_from_text(path_or_text)
    if not isinstance(path_or_text, (str, os.PathLike)):
        raise InputError(f"load_model takes a path or the text of a model file, not {type(path_or_text).__name__}")
    return read_model_file(os.fspath(path_or_text))


def derive(model: str | Model, steps: int, *, wrt: str | None = None, loss: str | None = None,
           activation: ActivationName = "g", form: Form = "auto", position: int | None = None,
           layers: int | None = None, readout: ReadoutName | None = None, max_paths: int = MAX_PATHS) -> Result:
    """∂loss/∂wrt for ``model`` (a built-in model's name, or a Model) unrolled over ``steps`` steps: the sum over
    paths, the factored recursion, or both (``form``); with ``wrt="all"`` every parameter's gradient."""
    found = _model(model, layers, readout)
    validate.whole_number("--steps", steps, 1, MAX_STEPS)
    validate.name("--wrt", wrt, found.default_wrt)
    validate.name("--loss", loss, found.loss)
    validate.choice("--activation", activation, ACTIVATIONS)
    validate.whole_number("--max-paths", max_paths, 1, MAX_PATHS_LIMIT)
    validate.optional_number("--position", position, 1)
    validate.choice("--form", form, FORMS)
    if wrt != ALL:
        name, entry = _entry(found, wrt)
        derived = derive_one(found, steps, name, loss, activation, max_paths, position, form)
        return replace(derived, entry=entry) if entry is not None else derived
    if form in ("paths", "both"):
        raise InputError(f"--wrt all gives the factored form (one recursion for every parameter); --form {form} "
                         f"lists the paths of one parameter: give --wrt NAME")
    return Gradient(derive_whole(found, steps, loss, activation, position))


def check(result: Result, *, seed: int = 0) -> CheckReport | tuple[CheckReport, ...]:
    """The derivation proved at random values drawn from ``seed`` (one report, or one per part of a Gradient)."""
    validate.whole_number("--seed", seed, 0, MAX_SEED)
    from .checking import check_many  # NumPy is imported only when numbers are asked for

    reports = check_many(_parts(result), seed)
    return reports if isinstance(result, Gradient) else reports[0]


def evaluate(result: Result, values: Mapping | str | os.PathLike, *, digits: int = DIGITS) -> Value | tuple[Value, ...]:
    """The derived gradient at ``values``: a mapping (numbers, nested lists or NumPy arrays) or a JSON or YAML
    values file, from the derived expressions only (never autodiff or finite differences); with the worked
    numbers behind it (the forward and the backward pass), shown to ``digits`` significant digits."""
    validate.whole_number("--digits", digits, 1, MAX_DIGITS)
    found = tuple(_evaluated(d, values, digits) for d in _parts(result))
    return found if isinstance(result, Gradient) else found[0]


def document(model: str | Model, steps: int | Literal["N"], *, wrt: str | None = None, loss: str | None = None,
             activation: ActivationName = "g", form: Form = "auto", position: int | None = None,
             layers: int | None = None, readout: ReadoutName | None = None, max_paths: int = MAX_PATHS,
             check: bool = False, seed: int = 0, values: Mapping | str | os.PathLike | None = None,
             digits: int = DIGITS, numbers: bool = False, figure: bool = False,
             depends_on: str | None = None, notation: Notation = "jacobian", size: int = ROUND_SIZE
             ) -> Document | Whole:
    """Derive, optionally check and evaluate, and present: everything ``symrnn derive`` prints. ``numbers`` works
    the derivation out at round values drawn from ``seed`` (every dimension ``size``, tenths), which the document
    lists;
    ``figure`` adds a picture of the unrolled graph (TikZ in LaTeX, Mermaid in Markdown); ``depends_on`` (a node,
    such as ``"x[1]"``) says which of the derivation's Jacobians change with that node's value; ``notation``
    "leibniz" writes every edge's Jacobian as ∂b/∂a, as lecture notes do, instead of D(a → b)."""
    validate.choice("--notation", notation, NOTATIONS)
    if steps == "N":
        return _general(model, wrt=wrt, loss=loss, activation=activation, form=form, position=position,
                        layers=layers, readout=readout, notation=notation,
                        others=dict(check=check, values=values, numbers=numbers, figure=figure, depends_on=depends_on))
    validate.flag("--check", check)
    validate.flag("--figure", figure)
    validate.flag("--numbers", numbers)
    if numbers and values is not None:
        raise InputError("--numbers draws the values and --at reads them from a file: give one of them")
    validate.whole_number("--size", size, 1, MAX_ROUND_SIZE)
    if size != ROUND_SIZE and not numbers:
        raise InputError("--size sets the sizes --numbers draws: add --numbers")
    validate.whole_number("--seed", seed, 0, MAX_SEED)
    if not isinstance(values, (Mapping, os.PathLike)):
        validate.name("--at", values, "values.json")
    result = derive(model, steps, wrt=wrt, loss=loss, activation=activation, form=form, position=position,
                    layers=layers, readout=readout, max_paths=max_paths)
    reports = _checked(result, seed) if check else None
    evaluated = evaluate(result, values, digits=digits) if values is not None else None
    if numbers:
        evaluated = _worked_at_round_values(result, seed, digits, size)
    presented = _present(result, reports, evaluated, notation)
    if depends_on is not None:
        validate.name("--depends-on", depends_on, "x[1]")
        if not isinstance(result, Derivation) or isinstance(presented, Whole):
            raise InputError("--depends-on looks at the Jacobians of one --wrt NAME, not --wrt all")
        presented = with_sensitivities(presented, result, depends_on)
    return _with_figure(presented, result) if figure else presented


def _general(model: str | Model, *, wrt: str | None, loss: str | None, activation: str, form: str,
             position: int | None, layers: int | None, readout: str | None, notation: str, others: dict) -> Document:
    """--steps N: the factored form for a general number of steps (symrnn/general.py)."""
    from .general import general_document

    asked = [f"--{name.replace('_', '-')}" for name, value in others.items() if value not in (None, False)]
    if asked:
        raise InputError(f"--steps N writes the derivation for every N; {', '.join(asked)} "
                         f"work{'s' if len(asked) == 1 else ''} at a number of steps")
    if wrt == ALL or form in ("paths", "both"):
        raise InputError("--steps N gives the factored form of one --wrt NAME (the paths are listed for a number of "
                         "steps)")
    found = _model(model, layers, readout)
    validate.name("--wrt", wrt, found.default_wrt)
    validate.name("--loss", loss, found.loss)
    validate.choice("--activation", activation, ACTIVATIONS)
    return general_document(found, wrt, loss, activation, position, notation)


def _with_figure(document: Document | Whole, result: Result) -> Document | Whole:
    """The document with its picture (one parameter's: the paths of --wrt all would be every edge)."""
    from dataclasses import replace

    from .picture import layout, mermaid, tikz

    if isinstance(document, Whole) or not isinstance(result, Derivation):
        raise InputError("--figure draws the paths of one --wrt NAME; with --wrt all, draw one with symrnn graph")
    if result.steps > MAX_PICTURE_STEPS:
        raise InputError(f"--figure draws at most {MAX_PICTURE_STEPS} steps (the columns would not fit a page); "
                         f"leave it out for n = {result.steps}")
    picture = layout(result.graph, result.wrt, result.loss)
    return replace(document, figure_tikz=tikz(picture), figure_mermaid=mermaid(picture),
                   figure_caption=picture.caption)


def render(result: Result | Document | Whole, fmt: Format = "latex", *, standalone: bool = False,
           template_dir: str | None = None, check: CheckReport | tuple[CheckReport, ...] | None = None,
           value: Value | tuple[Value, ...] | None = None, heading_level: int = HEADING_LEVEL) -> str:
    """A derivation (with its ``check`` report and ``value``, when given) or a document as LaTeX, Markdown (gfm
    for GitHub) or JSON; ``standalone`` a LaTeX document or a Markdown page, ``heading_level`` Markdown's."""
    if isinstance(result, (Derivation, Gradient)):
        result = _present(result, check, value)
    elif check is not None or value is not None:
        raise InputError("a document already holds its check and value: pass check= and value= with a derivation")
    return render_document(result, fmt, standalone, template_dir, heading_level)


def _checked(result: Result, seed: int) -> CheckReport | tuple[CheckReport, ...]:
    return check(result, seed=seed)


def _parts(result: Result) -> tuple[Derivation, ...]:
    if isinstance(result, Gradient):
        return result.parts
    if isinstance(result, Derivation):
        return (result,)
    raise InputError(f"expected what symrnn.derive returns, not {type(result).__name__}")


def _present(result: Result, reports, values, notation: str = "jacobian") -> Document | Whole:
    """The document of a derivation, or of the whole gradient, with its check and value where given."""
    if isinstance(result, Gradient):
        count = len(result.parts)
        return present_whole(result.parts, reports or (None,) * count, values or (None,) * count, notation)
    return present(result, reports, values, notation)


_ENTRY = re.compile(r"([A-Za-z_]\w*)\[(\d+)(?:,\s*(\d+))?\]")


def _entry(model: Model, wrt: str | None) -> tuple[str | None, tuple[int, ...] | None]:
    """A parameter's entry, --wrt W[i,j] (b[i] for a vector), counted as the model counts (from 0 for a model
    whose time starts at 0, else from 1): the parameter's name and the 0-based index; anything else unchanged."""
    match = _ENTRY.fullmatch(wrt or "")
    if match is None or match.group(1) not in model.param_names:
        return wrt, None
    shape = next(p.shape for p in model.params if p.name == match.group(1))
    first = model.first_time()
    name = match.group(1)
    index = tuple(int(i) - first for i in match.groups()[1:] if i is not None)
    if len(index) != len(shape):
        wanted = {0: f"{name} (a number)", 1: f"{name}[i]"}.get(len(shape), f"{name}[i,j]")
        raise InputError(f"--wrt {wrt}: {name} is {' x '.join(shape) or 'a number'}; give {wanted}")
    if any(i < 0 for i in index):
        raise InputError(f"--wrt {wrt}: the {model.name} model counts entries from {first}")
    return name, index


def _model(model: object, layers: object, readout: object) -> Model:
    """The model the options name, with its layers and readout, each option checked."""
    validate.optional_number("--layers", layers, 1, MAX_LAYERS)
    validate.optional_choice("--readout", readout, READOUTS)
    if isinstance(model, Model):
        if layers is not None or readout is not None:
            raise InputError("--layers and --readout choose a variant of a built-in model; build the Model you "
                             "want instead")
        return model
    if isinstance(model, str) and is_model_file(model):
        if layers is not None or readout is not None:
            raise InputError("--layers and --readout choose a variant of a built-in model; write it in the file")
        return read_model_file(model)
    if isinstance(model, str) and model not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, or a model file (NAME.yaml), not {model!r}")
    return get_model(validate.choice("--model", model, MODELS), validate.optional_number("--layers", layers, 1),
                     validate.optional_choice("--readout", readout, READOUTS))


def _worked_at_round_values(result: Result, seed: int, digits: int,
                            size: int = ROUND_SIZE) -> Value | tuple[Value, ...]:
    """Every part worked out at the round values ``seed`` draws (the same for every part), which it lists."""
    from dataclasses import replace

    from .worked import given_values, round_values

    validate.whole_number("--digits", digits, 1, MAX_DIGITS)
    parts = _parts(result)
    if parts[0].graph.activation == GENERIC and GENERIC in parts[0].model.functions:
        raise InputError("--numbers needs numbers for g: choose a concrete --activation (tanh, sigmoid, relu, ...)")
    drawn = round_values(parts[0], seed, size)
    found = tuple(replace(_evaluated(d, drawn, digits), given=given_values(d, drawn, digits), size=size)
                  for d in parts)
    return found if isinstance(result, Gradient) else found[0]


def _evaluated(derivation: Derivation, values: object, digits: int) -> Value:
    """The derived gradient at the values in a mapping or a file, and the forward and backward passes there."""
    import numpy as np

    from .checking import derived_gradient
    from .values import load_values, values_from

    if derivation.graph.activation == GENERIC and GENERIC in derivation.model.functions:
        raise InputError("--at needs numbers for g: add --activation tanh, sigmoid, relu or identity")
    if isinstance(values, Mapping):
        instance, where = values_from(values, derivation.model, derivation.steps), "the given values"
    elif isinstance(values, (str, os.PathLike)):
        path = os.fspath(values)
        validate.name("--at", path, "values.json")
        instance, where = load_values(path, derivation.model, derivation.steps), f"the values in {path}"
    else:
        raise InputError(f"values must be a mapping or the path of a JSON or YAML file, not {type(values).__name__}")
    with np.errstate(all="ignore"):
        gradient = derived_gradient(derivation, instance, derivation.graph.activation)
    if not np.all(np.isfinite(gradient)):
        raise CheckFailed(f"the gradient at {where} is not finite (the forward pass overflows); "
                          "use values of a sensible size")
    from .worked import latex_numbers, worked

    forward, backward = worked(derivation, instance, digits)
    value = Value(gradient.shape, gradient.tolist(), latex_numbers(gradient, digits), forward, backward, digits)
    if derivation.entry is None:
        return value
    picked = _picked(derivation, instance, gradient)
    return replace(value, entry_numbers=np.asarray(picked).tolist(), entry_latex=latex_numbers(picked, digits))


def _picked(derivation: Derivation, instance, gradient):
    """The entry --wrt W[i,j] asks for: that entry of the gradient, or that column of a vector's Jacobian."""
    import numpy as np

    from .checking import value_shape

    shape, entry = value_shape(derivation, instance), derivation.entry
    assert entry is not None
    if any(i >= size for i, size in zip(entry, shape)):
        first = derivation.model.first_time()
        raise InputError(f"--wrt {derivation.wrt}[{','.join(str(i + first) for i in entry)}] is outside "
                         f"{derivation.wrt}, which is {' x '.join(map(str, shape))} at these values")
    if derivation.vector_loss:
        return gradient[:, np.ravel_multi_index(entry, shape, order="F")]
    return np.asarray(gradient)[entry]


def failed(report: CheckReport | None) -> bool:
    """Whether a check ran and found a mismatch."""
    return report is not None and not report.passed


def describe(model: Model) -> dict:
    """A model's name, source, equations and symbols, for ``symrnn models``."""
    last = "n" + (f"{model.time_offset:+d}" if model.time_offset else "")  # n-1 when time starts at 0
    printer = NotationPrinter(unroll(model, 1), last=last)
    symbol = lambda s: {"name": s.name, "shape": list(s.shape), "latex": s.latex, "description": s.description}  # noqa: E731
    return {
        "name": model.name,
        "title": model.title,
        "source": model.source,
        "dimensions": {d.name: d.description for d in model.dims},
        "equations": [f"{eq.lhs} = {eq.rhs}" + (f" \\quad ({eq.note})" if eq.note else "")
                      for eq in model_equations(model, printer, last)],
        "parameters": [symbol(p) for p in model.params],
        "inputs": [symbol(i) for i in model.inputs],
        "labels": [symbol(label) for label in model.labels],
        "loss": model.loss,
        "default_wrt": model.default_wrt,
    }


def checked_model_file(path: str) -> tuple[dict, tuple[tuple[str, CheckReport], ...]]:
    """A model file described as ``symrnn models`` describes a built-in model, and every parameter's gradient at
    n = 2 checked (a generic g with every activation)."""
    model = read_model_file(validate.name("--check", path, "net.yaml") or "")
    from .checking import check_many

    parts = derive_whole(model, 2)
    return describe(model), tuple(zip((d.wrt for d in parts), check_many(parts)))


def catalogue() -> list[dict]:
    """Every built-in model, described, in a fixed order."""
    return [describe(model) for model in MODELS.values()]


def path_report(model: str | Model, steps: int, *, wrt: str | None = None, loss: str | None = None,
                position: int | None = None, layers: int | None = None, readout: ReadoutName | None = None,
                limit: int = DEFAULT_LIST) -> dict:
    """The exact number of paths from wrt to the loss, and the first ``limit`` of them (at most MAX_LIST), as an
    iterator that makes one path at a time."""
    found = _model(model, layers, readout)
    validate.whole_number("--steps", steps, 1, MAX_COUNT_STEPS)
    validate.name("--wrt", wrt, found.default_wrt)
    validate.name("--loss", loss, found.loss)
    validate.optional_number("--position", position, 1)
    validate.whole_number("--limit", limit, 0, MAX_LIST)
    if wrt == ALL:
        raise InputError("symrnn paths counts the paths of one --wrt NAME; 'symrnn derive --wrt all' gives every "
                         "parameter's count")
    graph = unroll(found, steps, position=position)
    wrt, loss = wrt or found.default_wrt, loss or found.loss
    graph.node(wrt)
    graph.node(loss)
    listed = iter_paths(graph, wrt, loss)
    return {"model": found.name, "steps": steps, "wrt": wrt, "loss": loss, "path_count": count_paths(graph, wrt, loss),
            "paths": islice(listed, limit)}


GraphFormat = Literal["tikz", "dot", "mermaid", "svg"]

MAX_PICTURE_STEPS = 12
"""Most steps a picture draws: past this the columns no longer fit a page."""


def graph_picture(model: str | Model, steps: int, *, wrt: str | None = None, loss: str | None = None,
                  position: int | None = None, layers: int | None = None, readout: ReadoutName | None = None,
                  fmt: GraphFormat = "tikz", standalone: bool = False, highlight: bool = True) -> str:
    """The unrolled graph drawn by time step and role, the paths from ``wrt`` to the loss thick (unless not
    ``highlight``): TikZ (with ``standalone``, a document that compiles on its own), Graphviz dot, Mermaid, or SVG
    (through dot)."""
    from .picture import FORMATS, WRITERS, layout

    found = _model(model, layers, readout)
    validate.whole_number("--steps", steps, 1, MAX_PICTURE_STEPS)
    validate.choice("--format", fmt, FORMATS)
    validate.flag("--standalone", standalone)
    if wrt == ALL:
        raise InputError("symrnn graph draws the paths of one --wrt NAME")
    if standalone and fmt != "tikz":
        raise InputError("--standalone wraps TikZ in a document; dot, Mermaid and SVG stand alone already")
    graph = unroll(found, steps, position=validate.optional_number("--position", position, 1))
    text = WRITERS[fmt](layout(graph, wrt or found.default_wrt, loss or found.loss, highlight))
    return STANDALONE_TIKZ.format(body=text) if standalone else text


STANDALONE_TIKZ = "\\documentclass[border=6pt]{{standalone}}\n\\usepackage{{amsmath,amssymb,tikz}}\n" \
                  "\\begin{{document}}\n{body}\\end{{document}}\n"
