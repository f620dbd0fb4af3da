"""Parts models are built from: symbols, affine maps, and readouts and losses any cell can take.

A model is a cell (its step equations) and a readout (what it computes from the states, and
the loss); these pieces are written once here and shared by the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .expr import (
    Add,
    Apply,
    Concat,
    CrossEntropy,
    Expr,
    Label,
    Log,
    LogSoftmax,
    MatVec,
    Neg,
    Ones,
    Pick,
    Ref,
    Scale,
    Softmax,
    SquaredNorm,
    TimeSum,
)
from .models import Definition, Dim, Symbol

HIDDEN_DIMS = (Dim("d", "input size"), Dim("m", "hidden units"), Dim("K", "number of labels"))


INPUT = Symbol("x", ("d",), "x", "input sequence x^{(1)} ... x^{(n)}")


def weight(name: str, latex: str, rows: str, cols: str, description: str) -> Symbol:
    return Symbol(name, (rows, cols), latex, description)


def vector(name: str, latex: str, description: str, size: str = "m") -> Symbol:
    return Symbol(name, (size,), latex, description)


def affine(*pairs: tuple[str, Expr], bias: tuple[str, ...] = ()) -> Add:
    """Σ W v + Σ b: weight names paired with what they multiply, then bias names."""
    return Add(tuple(MatVec(Ref(w), v) for w, v in pairs) + tuple(Ref(b) for b in bias))


def one_minus(value: Expr, vector_valued: bool = True) -> Add:
    """1 - value (bold 1 for a vector)."""
    return Add((Ones(vector_valued), Neg(value)))


PREVIOUS = Ref("h", -1)


X = Ref("x")


@dataclass(frozen=True)
class Part:
    """A piece of a model: its parameters, labels, step equations, readout, initial states."""

    params: tuple[Symbol, ...] = ()
    labels: tuple[Symbol, ...] = ()
    step: tuple[Definition, ...] = ()
    readout: tuple[Definition, ...] = ()
    initial: tuple[tuple[str, str], ...] = ()


def initial_state(state: str = "h", latex: str = "h^{0}") -> tuple[Symbol, tuple[str, str]]:
    return vector(f"{state}_0", latex, f"initial state {state}^{{(0)}}"), (state, f"{state}_0")


def final_log_softmax(state: str = "h", loss: str = "o", log_probabilities: str = "q") -> Part:
    """Collins's readout (Question 1): l = V h^{(n)} + γ, q = LS(l), loss = -q_y (names changeable where a
    cell uses them)."""
    return Part(
        params=(weight("V", "V", "K", "m", "output weights"), vector("gamma", r"\gamma", "output bias", "K")),
        labels=(Symbol("y", ("K",), "y", "the correct label, 1..K"),),
        readout=(
            Definition("l", ("K",), "l", Add((MatVec(Ref("V"), Ref(state, last=True)), Ref("gamma")))),
            Definition(log_probabilities, ("K",), log_probabilities, LogSoftmax(Ref("l"))),
            Definition(loss, (), loss, Neg(Pick(Ref(log_probabilities), Label("y")))),
        ),
    )


def every_step_softmax(state: str = "h") -> Part:
    """Goodfellow eq. 10.10-10.14: o^{(t)} = c + V h^{(t)}, ŷ = softmax(o), L = Σ_t -log ŷ^{(t)}_{y^{(t)}}."""
    return Part(
        params=(weight("V", "V", "K", "m", "hidden-to-output weights"), vector("c", "c", "output bias", "K")),
        labels=(Symbol("y", ("K",), "y", "the correct label at each step, 1..K", per_step=True),),
        step=(
            Definition("o", ("K",), "o", Add((Ref("c"), MatVec(Ref("V"), Ref(state))))),
            Definition("yhat", ("K",), r"\hat{y}", Softmax(Ref("o")), inline=True),
            Definition("L", (), "L", CrossEntropy(Ref("yhat"), Label("y"))),
        ),
        readout=(Definition("L", (), "L", TimeSum(Ref("L"))),),
    )


def next_step_l2() -> Part:
    """Deng and Finlayson §3: L = Σ_t ‖x_{t+1} - o_t‖², each output predicting the next input."""
    return Part(readout=(Definition("L", (), "L", TimeSum(SquaredNorm(Add((Ref("x", 1), Neg(Ref("o"))))))),))


def per_step_sigmoid_log_loss() -> Part:
    """The graded homework, Q1.1: y^{(t)} = σ(v h^{(t)} + b_y), L^{(t)} = -ln y^{(t)}, L = Σ_t L^{(t)}."""
    return Part(
        params=(Symbol("v", (), "v", "output weight"), Symbol("b_y", (), "b_{y}", "output bias")),
        step=(Definition("f", (), "f", Add((Scale(Ref("v"), Ref("h")), Ref("b_y"))), inline=True),
              Definition("y", (), "y", Apply("sigmoid", Ref("f"))),
              Definition("L", (), "L", Neg(Log(Ref("y"))))),
        readout=(Definition("L", (), "L", TimeSum(Ref("L"))),),
    )


def concat_readout(states: tuple[str, str] = ("h", "eta")) -> Part:
    """Collins, Question 2: l = V CONCAT(h^{(i)}, η^{(i)}) + γ at position i, q = LS(l), o = -q_y."""
    return Part(
        params=(weight("V", "V", "K", "2*m", "output weights (K x 2m)"),
                vector("gamma", r"\gamma", "output bias", "K")),
        labels=(Symbol("y", ("K",), "y", "the correct label at position i, 1..K"),),
        readout=(
            Definition("l", ("K",), "l", Add((MatVec(Ref("V"), Concat(tuple(Ref(s, position=True) for s in states))),
                                              Ref("gamma")))),
            Definition("q", ("K",), "q", LogSoftmax(Ref("l"))),
            Definition("o", (), "o", Neg(Pick(Ref("q"), Label("y")))),
        ),
    )


def tagger_readout() -> Part:
    """l = V CONCAT(h^{(i)}, η^{(i)}, β^{(i-1)}) + γ, q = LS(l), o = -q_y."""
    readout = concat_readout()
    parts = (Ref("h", position=True), Ref("eta", position=True), Ref("beta", -1, position=True))
    first = readout.readout[0]
    expr = Add((MatVec(Ref("V"), Concat(parts)), Ref("gamma")))
    params = (weight("V", "V", "K", "3*m", "output weights (K x 3m)"),) + readout.params[1:]
    return replace(readout, params=params, readout=(replace(first, expr=expr),) + readout.readout[1:])


def stacked_readout(layers: int, residual: bool) -> Part:
    """l = V h_L^{(n)} + γ, or with the residual connection of the graded homework on RNNs, Q1.3,
    V (h_1^{(n)} + ... + h_L^{(n)}) + γ."""
    tops = tuple(Ref(f"h{k}", last=True) for k in (range(1, layers + 1) if residual else (layers,)))
    readout = final_log_softmax()
    first = readout.readout[0]
    summed = Add((MatVec(Ref("V"), tops[0] if len(tops) == 1 else Add(tops)), Ref("gamma")))
    return replace(readout, readout=(replace(first, expr=summed),) + readout.readout[1:])
