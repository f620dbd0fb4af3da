"""The library's front door: the whole pipeline in a few calls.

    >>> from symrnn.api import document
    >>> from symrnn.render import render
    >>> print(render(document("elman", steps=3), "markdown"))  # doctest: +SKIP
"""

from __future__ import annotations

from itertools import islice

from . import validate
from .activations import ACTIVATIONS
from .catalogue import MAX_LAYERS, MODELS, READOUTS, get_model
from .derivation import FORMS, Derivation, derive, derive_whole
from .errors import CheckFailed, InputError
from .graph import GENERIC, unroll
from .latex import NotationPrinter
from .limits import MAX_COUNT_STEPS, MAX_LIST, MAX_PATHS, MAX_PATHS_LIMIT, MAX_SEED, MAX_STEPS
from .models import Model
from .paths import count_paths, iter_paths
from .present import Document, Value, Whole, model_equations, present, present_whole
from .report import CheckReport

DEFAULT_LIST = 20
"""How many paths ``path_report`` lists when not told."""


def document(model: str, steps: int, wrt: str | None = None, loss: str | None = None,
             activation: str = GENERIC, check: bool = False, seed: int = 0,
             values: str | None = None, max_paths: int = MAX_PATHS, position: int | None = None,
             layers: int | None = None, readout: str | None = None, form: str = "auto") -> Document:
    """Derive, optionally check and evaluate, and present: everything ``symrnn derive`` prints."""
    _validate_derive(model, steps, wrt, loss, activation, check, seed, values, max_paths, position, layers, readout,
                     form)
    derivation = derive(get_model(model, layers, readout), steps, wrt, loss, activation, max_paths, position, form)
    report = _run_check(derivation, seed) if check else None
    value = evaluate_at(derivation, values) if values else None
    return present(derivation, report, value)


ALL = "all"
"""``--wrt all``: the gradient with respect to every parameter."""


def derivation_document(model: str, steps: int, wrt: str | None = None, loss: str | None = None,
                        activation: str = GENERIC, check: bool = False, seed: int = 0, values: str | None = None,
                        max_paths: int = MAX_PATHS, position: int | None = None, layers: int | None = None,
                        readout: str | None = None, form: str = "auto") -> Document | Whole:
    """What ``symrnn derive`` prints: one parameter's derivation, or with ``wrt="all"`` the whole gradient."""
    _validate_derive(model, steps, wrt, loss, activation, check, seed, values, max_paths, position, layers, readout,
                     form)
    if wrt != ALL:
        return document(model, steps, wrt, loss, activation, check, seed, values, max_paths, position, layers,
                        readout, form)
    if form in ("paths", "both"):
        raise InputError(f"--wrt all gives the factored form (one recursion for every parameter); --form {form} "
                         f"lists the paths of one parameter: give --wrt NAME")
    return whole_document(model, steps, loss, activation, check, seed, values, position, layers, readout)


def whole_document(model: str, steps: int, loss: str | None = None, activation: str = GENERIC, check: bool = False,
                   seed: int = 0, values: str | None = None, position: int | None = None, layers: int | None = None,
                   readout: str | None = None) -> Whole:
    """The gradient with respect to every parameter (``--wrt all``): one recursion, a local sum per parameter."""
    _validate_derive(model, steps, None, loss, activation, check, seed, values, MAX_PATHS, position, layers, readout,
                     "factored")
    derivations = derive_whole(get_model(model, layers, readout), steps, loss, activation, position)
    checks = _run_checks(derivations, seed) if check else (None,) * len(derivations)
    evaluated = tuple(evaluate_at(d, values) if values else None for d in derivations)
    return present_whole(derivations, checks, evaluated)


def _validate_derive(model: object, steps: object, wrt: object, loss: object, activation: object, check: object,
                     seed: object, values: object, max_paths: object, position: object, layers: object,
                     readout: object, form: object) -> None:
    """Every option of a derivation, checked as the command line checks it."""
    found = _model(model, layers, readout)
    validate.whole_number("--steps", steps, 1, MAX_STEPS)
    validate.name("--wrt", wrt, found.default_wrt)
    validate.name("--loss", loss, found.loss)
    validate.choice("--activation", activation, ACTIVATIONS)
    validate.flag("--check", check)
    validate.whole_number("--seed", seed, 0, MAX_SEED)
    validate.name("--at", values, "values.json")
    validate.whole_number("--max-paths", max_paths, 1, MAX_PATHS_LIMIT)
    validate.optional_number("--position", position, 1)
    validate.choice("--form", form, FORMS)


def _model(model: object, layers: object, readout: object) -> Model:
    """The model the options name, with its layers and readout, each option checked."""
    return get_model(validate.choice("--model", model, MODELS),
                     validate.optional_number("--layers", layers, 1, MAX_LAYERS),
                     validate.optional_choice("--readout", readout, READOUTS))


def _run_check(derivation: Derivation, seed: int) -> CheckReport:
    return _run_checks((derivation,), seed)[0]


def _run_checks(derivations: tuple[Derivation, ...], seed: int) -> tuple[CheckReport, ...]:
    from .check import check_many  # NumPy is imported only when numbers are asked for

    return check_many(derivations, seed)


def evaluate_at(derivation: Derivation, path: str) -> Value:
    """The derived gradient at the values in a file, from the derived expressions only."""
    import numpy as np

    from .check import derived_gradient
    from .values import load_values

    if derivation.graph.activation == GENERIC and GENERIC in derivation.model.functions:
        raise InputError("--at needs numbers for g: add --activation tanh, sigmoid, relu or identity")
    instance = load_values(path, derivation.model, derivation.steps)
    with np.errstate(all="ignore"):
        gradient = derived_gradient(derivation, instance, derivation.graph.activation)
    if not np.all(np.isfinite(gradient)):
        raise CheckFailed(f"the gradient at the values in {path} is not finite (the forward pass overflows); "
                          "use values of a sensible size")
    return Value(gradient.shape, gradient.tolist(), latex_matrix(gradient))


def latex_matrix(array) -> str:
    """A bmatrix of numbers (a column for a vector, a bare number for a scalar)."""
    if array.ndim == 0:
        return f"{float(array):.6g}"
    rows = array.reshape(-1, 1) if array.ndim == 1 else array
    body = r" \\ ".join(" & ".join(f"{float(x):.6g}" for x in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


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


def catalogue() -> list[dict]:
    """Every built-in model, described, in a fixed order."""
    return [describe(model) for model in MODELS.values()]


def path_report(model: str, steps: int, wrt: str | None = None, loss: str | None = None,
                position: int | None = None, layers: int | None = None, readout: str | None = None,
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
