"""The numeric proof: the derived gradient against derivatives of the forward pass in float64.

``--check`` compares with complex-step derivatives, Im f(x + ih)/h: a finite difference taken along
the imaginary axis, so nothing is subtracted and the result is exact to rounding at any size of the
loss (a stacked RNN of 8 linear layers over 50 steps has a loss near 1e12, where a real difference
loses every digit). They cost one forward pass per entry; past COMPLEX_STEP_BUDGET the reference is
reverse-mode differentiation of the same forward pass (``reverse.py``), one sweep for every entry.
The tests also use the five-point central differences below. Values are drawn small enough that the
forward pass stays well conditioned, and no NumPy warning reaches stderr.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS, CONCRETE
from .derivation import Derivation
from .errors import CheckFailed
from .expr import Apply, children
from .graph import GENERIC, Graph
from .models import Model
from .numeric import Instance, forward
from .report import TOLERANCE, CheckReport, CheckResult

STEP = 1e-3
"""Finite-difference step of the five-point central stencil: truncation error about
STEP⁴, round-off about 1e-16/STEP, so about 1e-13 on a loss of order one."""

ERROR_FLOOR = 1e-6
"""Gradients smaller than this in norm are compared absolutely: finite-difference
round-off (about 1e-13) would otherwise dominate a relative error."""

KINK_MARGIN = 1e-2
"""For real finite differences (the tests'), values are redrawn until every input of a function with a kink
(ReLU) is this far from it, farther than the stencil reaches."""

CHECK_KINK_MARGIN = 1e-9
"""The same for ``--check``: a complex step leaves every real part where it is, so ReLU's derivative is exact
anywhere but at the kink itself, and a long sequence with thousands of ReLU inputs needs no luck to be drawn."""

ATTEMPTS = 100
"""Instances drawn before ``--check`` gives up (each costs a few forward passes: at most about 30 s at n = 200)."""

STENCIL = ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0))
"""(multiple of STEP, weight): f'(x) ≈ Σ weight·f(x + k·STEP) / (12·STEP)."""

COMPLEX_STEP = 1e-20
"""Imaginary step of the complex-step derivative: its truncation error is about STEP² relative, far below
rounding, and there is no subtraction to lose digits to."""

COMPLEX_STEP_BUDGET = 100_000
"""Largest (entries of the variables checked) × (nodes of the unrolled graph) that ``--check`` compares with
complex steps, about 1.5 s of forward passes per activation; beyond it, with reverse mode."""

COMPLEX = "complex step"
REVERSE = "reverse mode"

VALUE_BOUND = 100.0
"""Largest magnitude a drawn instance lets any value of the forward pass reach; beyond it the parameters are
scaled down (deep or long linear networks otherwise grow like ‖W‖ⁿ and overflow)."""

SHRINK = 0.7
"""Factor the parameters are scaled by while the forward pass exceeds VALUE_BOUND."""

SHRINK_TRIES = 60
"""How often the parameters may be scaled down (0.7⁶⁰ ≈ 5e-10) before a new instance is drawn."""


def value_shape(derivation: Derivation, instance: Instance) -> tuple[int, ...]:
    """The concrete shape of the variable the derivation differentiates by."""
    return tuple(instance.sizes[str(d)] for d in derivation.graph.node(derivation.wrt).shape)


def answer_shape(derivation: Derivation, instance: Instance) -> tuple[int, ...]:
    """The shape of the derivative: the variable's, or for a vector --loss its Jacobian's (a row per entry of the
    loss, a column per entry of the variable, in vec order: columns stacked)."""
    shape = value_shape(derivation, instance)
    if not derivation.vector_loss:
        return shape
    loss = derivation.graph.node(derivation.loss).shape
    return (int(np.prod([instance.sizes[str(d)] for d in loss])), int(np.prod(shape)))


def derived_gradient(derivation: Derivation, instance: Instance, activation: str) -> np.ndarray:
    """∂loss/∂wrt from the derivation's shaped terms (or, without paths, its factored terms),
    in the variable's own shape (zeros when no path leads from the variable to the loss)."""
    if derivation.path_count == 0:
        return np.zeros(answer_shape(derivation, instance))
    if derivation.vector_loss:
        return path_sum_gradient(derivation, instance, activation)
    if not derivation.paths:
        return factored_gradient(derivation, instance, activation)
    evaluator = forward(derivation.graph, instance, activation)
    shape = value_shape(derivation, instance)
    total = sum(evaluator.matrix(term.shaped, derivation.formulas) for term in derivation.paths)
    return np.reshape(total, shape)


def factored_gradient(derivation: Derivation, instance: Instance, activation: str) -> np.ndarray:
    """∂loss/∂wrt from the factored form: the local terms, each ∇_v L worked out by its recursion."""
    evaluator = forward(derivation.graph, instance, activation)
    formulas, factored = derivation.formulas, derivation.factored
    assert factored is not None, "a derivation without its factored form"
    for recursion in factored.recursions:  # loss end first: each reads only those before it
        evaluator.matrix(recursion.grad, formulas)
    total = np.sum([evaluator.matrix(term, formulas) for term in factored.terms], axis=0)
    return np.reshape(total, value_shape(derivation, instance))


def path_sum_gradient(derivation: Derivation, instance: Instance, activation: str) -> np.ndarray:
    """∂loss/∂wrt as the sum over paths of products of Jacobians (a row over vec(wrt))."""
    if not derivation.paths:  # no path: the empty sum
        return np.zeros(answer_shape(derivation, instance))
    evaluator = forward(derivation.graph, instance, activation)
    total = sum(evaluator.matrix(term.named, derivation.formulas) for term in derivation.paths)
    return np.reshape(total, answer_shape(derivation, instance), order="F")


def loss_value(graph: Graph, instance: Instance, activation: str, loss: str,
               nudge: tuple[str, np.ndarray] | None = None) -> float:
    """The loss after a forward pass."""
    return float(_loss(graph, instance, activation, loss, nudge).real)


def _loss(graph: Graph, instance: Instance, activation: str, loss: str,
          nudge: tuple[str, np.ndarray] | None = None) -> complex:
    evaluator = forward(graph, instance, activation, nudge)
    return complex(evaluator.env[graph.node(loss).value])


def complex_step(derivation: Derivation, instance: Instance, activation: str) -> np.ndarray:
    """Complex-step derivatives of the forward pass, Im L(x + ih e_k)/h, one entry of the variable at a time."""
    shape = value_shape(derivation, instance)
    if derivation.vector_loss:
        return _complex_step_jacobian(derivation, instance, activation, shape)
    grad = np.zeros(shape)
    for index in np.ndindex(*shape):
        delta = np.zeros(shape, dtype=complex)
        delta[index] = 1j * COMPLEX_STEP
        grad[index] = _loss(derivation.graph, instance, activation, derivation.loss,
                            (derivation.wrt, delta)).imag / COMPLEX_STEP
    return grad


def _complex_step_jacobian(derivation: Derivation, instance: Instance, activation: str,
                           shape: tuple[int, ...]) -> np.ndarray:
    """The Jacobian of a vector --loss by complex steps: one column per entry of the variable, in vec order."""
    jacobian = np.zeros(answer_shape(derivation, instance))
    loss = derivation.graph.node(derivation.loss).value
    for index in np.ndindex(*shape):
        delta = np.zeros(shape, dtype=complex)
        delta[index] = 1j * COMPLEX_STEP
        value = forward(derivation.graph, instance, activation, (derivation.wrt, delta)).env[loss]
        column = np.ravel_multi_index(index, shape, order="F") if shape else 0
        jacobian[:, column] = np.ravel(np.imag(value)) / COMPLEX_STEP
    return jacobian


def finite_difference(derivation: Derivation, instance: Instance, activation: str, step: float = STEP) -> np.ndarray:
    """Five-point central differences of the forward pass, one entry of the variable at a time."""
    shape = value_shape(derivation, instance)
    grad = np.zeros(shape)
    for index in np.ndindex(*shape):
        delta = np.zeros(shape)
        delta[index] = step
        total = sum(weight * loss_value(derivation.graph, instance, activation, derivation.loss,
                                        (derivation.wrt, k * delta)) for k, weight in STENCIL)
        grad[index] = total / (12 * step)
    return grad


def relative_error(derived: np.ndarray, reference: np.ndarray) -> float:
    """‖derived − reference‖ / max(‖derived‖, ‖reference‖, ERROR_FLOOR), Euclidean norms."""
    scale = max(float(np.linalg.norm(derived)), float(np.linalg.norm(reference)), ERROR_FLOOR)
    return float(np.linalg.norm(derived - reference) / scale)


def random_instance(model: Model, steps: int, rng: np.random.Generator) -> Instance:
    """Small random sizes (2 to 4) and values: parameters N(0, 0.6²), inputs N(0, 1)."""
    sizes: dict[str, int] = {}
    for dim in model.dims:
        sizes[dim.name] = dim.times[0] * sizes[dim.times[1]] if dim.times else int(rng.integers(2, 5))
    arrays = {p.name: rng.normal(0.0, 0.6, [sizes[d] for d in p.shape]) for p in model.params}
    arrays.update({i.name: rng.normal(0.0, 1.0, [steps + i.lookahead] + [sizes[d] for d in i.shape])
                   for i in model.inputs})
    labels = {label.name: _random_label(rng, sizes[label.shape[0]], steps if label.per_step else None)
              for label in model.labels}
    return Instance(sizes, arrays, labels)


def _random_label(rng: np.random.Generator, count: int, steps: int | None) -> int | tuple[int, ...]:
    """A label in 1..count, or a sequence of ``steps`` of them."""
    if steps is None:
        return int(rng.integers(1, count + 1))
    return tuple(int(v) for v in rng.integers(1, count + 1, steps))


def draw_instance(graph: Graph, activations: tuple[str, ...], rng: np.random.Generator,
                  attempts: int = ATTEMPTS, margin: float = CHECK_KINK_MARGIN) -> Instance:
    """A random instance whose forward pass stays within VALUE_BOUND and whose activation inputs all stay
    ``margin`` away from any kink (one forward pass per activation and try tells both)."""
    active = any(ACTIVATIONS[act].assumes_active for act in activations)
    for attempt in range(attempts):
        drawn = random_instance(graph.model, graph.steps, rng)
        if active and attempt % 2:  # every unit active over a long sequence: non-negative values make it so
            drawn = _scaled(drawn, tuple(drawn.arrays), 1.0, np.abs)
        tempered = _tempered(graph, drawn, activations)
        if tempered is not None and all(kink > margin for kink in tempered[1]):
            return tempered[0]
    raise CheckFailed(f"could not draw values in {attempts} attempts {margin:g} away from the kinks of "
                      f"{', '.join(activations)} with every value of the forward pass below {VALUE_BOUND:g}; "
                      "try another --seed or fewer --steps")


def _tempered(graph: Graph, instance: Instance, activations: tuple[str, ...]) -> tuple[Instance, list[float]] | None:
    """The instance with its parameters scaled down until every forward pass is well conditioned, and each
    activation's kink distance there (None if never)."""
    for _ in range(SHRINK_TRIES):
        passes = [_forward_summary(graph, instance, act) for act in activations]
        if all(largest <= VALUE_BOUND for largest, _ in passes):
            return instance, [kink for _, kink in passes]
        instance = _scaled(instance, graph.model.param_names, SHRINK)
    return None


def _forward_summary(graph: Graph, instance: Instance, activation: str) -> tuple[float, float]:
    """From one forward pass: the largest magnitude of any value (infinite when one is not finite), and how close
    the input of a function with a kink comes to it (see kink_distance)."""
    with np.errstate(all="ignore"):
        evaluator = forward(graph, instance, activation)
        largest = max((float(np.max(np.abs(value), initial=0.0)) for value in evaluator.env.values()), default=0.0)
        if not np.isfinite(largest):
            return float("inf"), float("-inf")
    distances = []
    for application in _applications(graph):
        act = ACTIVATIONS[activation if application.fn == GENERIC else application.fn]
        if act.kink is None:
            continue
        offset = np.asarray(evaluator.value(application.arg)) - act.kink
        distances.append(float(np.min(offset if act.assumes_active else np.abs(offset))))
    return largest, min(distances, default=float("inf"))


def largest_value(graph: Graph, instance: Instance, activation: str) -> float:
    """The largest magnitude of any value in the forward pass (infinite when one is not finite)."""
    return _forward_summary(graph, instance, activation)[0]


def _scaled(instance: Instance, names: tuple[str, ...], factor: float, change=lambda array: array) -> Instance:
    """The instance with the arrays called ``names`` multiplied by ``factor`` (and changed by ``change``)."""
    arrays = {name: change(array) * factor if name in names else array for name, array in instance.arrays.items()}
    return Instance(instance.sizes, arrays, instance.labels)


def kink_distance(graph: Graph, instance: Instance, activation: str) -> float:
    """How close the input of any function with a kink comes to it (infinite when none has one);
    for ReLU assumed active, how far the inputs are above 0 (negative when a unit is inactive)."""
    return _forward_summary(graph, instance, activation)[1]


def _applications(graph: Graph) -> list[Apply]:
    """Every application of a transfer function in the unrolled equations."""
    found: list[Apply] = []
    pending = [node.definition for node in graph.nodes if node.definition is not None]
    while pending:
        expr = pending.pop()
        found += [expr] if isinstance(expr, Apply) else []
        pending += children(expr)
    return found


def check(derivation: Derivation, seed: int = 0, tolerance: float = TOLERANCE) -> CheckReport:
    """Compare the derived gradient with derivatives of the forward pass at random values (complex steps, or
    reverse mode past COMPLEX_STEP_BUDGET).

    A generic g is checked with every concrete activation, since the derivation
    must hold for each of them.
    """
    return check_many((derivation,), seed, tolerance)[0]


def check_many(derivations: tuple[Derivation, ...], seed: int = 0,
               tolerance: float = TOLERANCE) -> tuple[CheckReport, ...]:
    """``check`` for derivations on one graph (the whole gradient), at one instance drawn once."""
    graph = derivations[0].graph
    activations = _checked_activations(graph)
    with np.errstate(all="ignore"):
        instance = draw_instance(graph, activations, np.random.default_rng(seed))
        method = _method(derivations, instance)
        results = [_check_all(derivations, instance, act, tolerance, method) for act in activations]
    return tuple(CheckReport(tuple(instance.sizes.items()), seed, tolerance, COMPLEX_STEP,
                             tuple(by_activation[k] for by_activation in results), method)
                 for k in range(len(derivations)))


def _method(derivations: tuple[Derivation, ...], instance: Instance) -> str:
    """Complex steps while their forward passes are cheap enough, else reverse mode."""
    entries = sum(int(np.prod(value_shape(d, instance))) for d in derivations)
    small = entries * len(derivations[0].graph.nodes) <= COMPLEX_STEP_BUDGET
    return COMPLEX if small or derivations[0].vector_loss else REVERSE  # reverse mode needs a number at the end


def _check_all(derivations: tuple[Derivation, ...], instance: Instance, activation: str, tolerance: float,
               method: str) -> tuple[CheckResult, ...]:
    """Every derivation checked for one activation against the reference ``method`` gives."""
    if method == COMPLEX:
        references = [complex_step(d, instance, activation) for d in derivations]
    else:
        from .reverse import reverse_gradients

        found = reverse_gradients(derivations[0].graph, instance, activation, derivations[0].loss,
                                  tuple(d.wrt for d in derivations))
        references = [found[d.wrt] for d in derivations]
    return tuple(_check_one(d, instance, activation, tolerance, r) for d, r in zip(derivations, references))


def _checked_activations(graph: Graph) -> tuple[str, ...]:
    """Every concrete g for a generic one; the chosen g; or, for a model without g, the model as defined."""
    if GENERIC not in graph.model.functions:
        return (GENERIC,)
    return CONCRETE if graph.activation == GENERIC else (graph.activation,)


def _check_one(derivation: Derivation, instance: Instance, activation: str, tolerance: float,
               reference: np.ndarray) -> CheckResult:
    functions = derivation.model.functions
    label = activation if GENERIC in functions else ", ".join(derivation.graph.function(fn) for fn in functions)
    if not np.all(np.isfinite(reference)):
        return CheckResult(label, None, None, False, None, "the forward pass is not finite at the drawn values")
    with_paths = bool(derivation.paths) or derivation.path_count == 0
    gradients: list[np.ndarray | None] = [
        path_sum_gradient(derivation, instance, activation) if with_paths else None,
        derived_gradient(derivation, instance, activation) if with_paths and not derivation.vector_loss else None,
        factored_gradient(derivation, instance, activation) if derivation.factored is not None else None]
    if any(g is not None and not np.all(np.isfinite(g)) for g in gradients):
        return CheckResult(label, None, None, False, None, "the derived gradient is not finite at the drawn values")
    path_sum, shaped, factored = (None if g is None else relative_error(g, reference) for g in gradients)
    worst = max(e for e in (path_sum, shaped, factored) if e is not None)
    return CheckResult(label, path_sum, shaped, worst <= tolerance, factored)
