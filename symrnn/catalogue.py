"""The built-in models: a cell and a readout each, in the notation of its source.

Nothing here is code that runs per model: unrolling, differentiation and printing read
these tables. ``get_model`` also builds the variants a model offers (--layers, --readout).
"""

from __future__ import annotations

from .cells import (
    bidirectional_cell,
    deng_cell,
    elman_cell,
    goodfellow_cell,
    gru_cell,
    gru_torch_cell,
    leaky_cell,
    lstm_cell,
    lstm_torch_cell,
    scalar_cell,
    stacked_cell,
    tag_cell,
    two_level_bidirectional_cell,
)
from .errors import InputError
from .expr import Ref, TimeSum
from .models import Dim, Model, Symbol
from .parts import (
    HIDDEN_DIMS,
    INPUT,
    Part,
    concat_readout,
    every_step_softmax,
    final_log_softmax,
    next_step_l2,
    per_step_sigmoid_log_loss,
    stacked_readout,
    tagger_readout,
)


def model(name: str, title: str, source: str, cell: Part, readout: Part, loss: str, default_wrt: str,
          dims: tuple[Dim, ...] = HIDDEN_DIMS, inputs: tuple[Symbol, ...] = (INPUT,), **notation) -> Model:
    """A model from a cell and a readout; every name must mean one thing. ``notation`` sets the
    Model's notation fields (time_offset, time_style, generic_latex)."""
    _check_names(name, cell, readout)
    return Model(
        name=name, title=title, source=source, dims=dims,
        params=cell.params + readout.params, inputs=inputs, labels=cell.labels + readout.labels,
        initial=cell.initial + readout.initial, step=cell.step + readout.step, readout=cell.readout + readout.readout,
        loss=loss, default_wrt=default_wrt, **notation,
    )


def _check_names(name: str, *parts: Part) -> None:
    """Refuse a model in which two entries share a name (a loss summed over time, L = Σ_t L^{(t)},
    may share its terms' name: they are told apart by their time index)."""
    step = [d.name for part in parts for d in part.step]
    sums = {d.expr.term.name for part in parts for d in part.readout
            if isinstance(d.expr, TimeSum) and isinstance(d.expr.term, Ref)}
    others = [e.name for part in parts for e in part.params + part.labels + part.readout] + [INPUT.name]
    names = step + [n for n in others if n not in sums]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"model {name}: {', '.join(repeated)} defined twice")


def stacked(layers: int = 2, residual: bool = False) -> Model:
    """A deep RNN of ``layers`` layers (the graded homework on RNNs, Q1.3), with or without the residual readout."""
    if not 1 <= layers <= MAX_LAYERS:
        raise InputError(f"--layers must be between 1 and {MAX_LAYERS} (got {layers})")
    name = "stacked-residual" if residual else "stacked"
    title = "Stacked RNN with a residual readout" if residual else "Stacked (deep) RNN"
    return model(name, f"{title}, {layers} layers", f"{HOMEWORK}, Q1.3",
                 stacked_cell(layers), stacked_readout(layers, residual), "o", "W_1")


MAX_LAYERS = 8
"""Most layers a stacked model takes: each adds a factor of paths per step."""


BIDIRECTIONAL_DIMS = HIDDEN_DIMS + (Dim("2*m", "twice the hidden units (a CONCAT of h and eta)", (2, "m")),)


COLLINS = "M. Collins, flipped-classroom questions on recurrent networks"

DENG = "Y. Deng and M. Finlayson, in-class activities on recurrent neural networks (Sequences, class 4)"

HOMEWORK = "a graded homework on recurrent neural networks (Q1, week 13)"

STUDY = "study questions on Goodfellow et al., Deep Learning, ch. 10"


GOODFELLOW = "Goodfellow, Bengio and Courville, Deep Learning, ch. 10"


MODELS: dict[str, Model] = {m.name: m for m in (
    model("elman", "Elman RNN (simple recurrent network)", f"{COLLINS}, Question 1",
          elman_cell(), final_log_softmax(), "o", "W_hx"),
    model("goodfellow", "The RNN of Goodfellow et al. (a loss at every step)", f"{GOODFELLOW}, eq. 10.8-10.14",
          goodfellow_cell(), every_step_softmax(), "L", "W"),
    model("gru", "Gated recurrent unit", f"{COLLINS}, Question 3",
          gru_cell(), final_log_softmax(), "o", "U_z"),
    model("gru-torch", "Gated recurrent unit, PyTorch's equations and names", "PyTorch torch.nn.GRUCell",
          gru_torch_cell(), final_log_softmax(), "o", "W_hz"),
    model("lstm", "Long short-term memory", f"{GOODFELLOW}, eq. 10.40-10.44",
          lstm_cell(), final_log_softmax(log_probabilities="p"), "o", "W_f"),
    model("lstm-torch", "Long short-term memory, PyTorch's equations and names", "PyTorch torch.nn.LSTMCell",
          lstm_torch_cell(), final_log_softmax(loss="L"), "L", "W_hf"),
    model("deng", "RNN with an L2 next-step loss", f"{DENG}, sections 1 and 3",
          deng_cell(), next_step_l2(), "L", "W", dims=HIDDEN_DIMS[:2],
          inputs=(Symbol("x", ("d",), "x", "input sequence x_0 ... x_N (x_N is only a target)", lookahead=1),),
          time_offset=-1, time_style="subscript", generic_latex=r"\sigma"),
    model("scalar", "A scalar RNN with a loss at every step", f"{HOMEWORK}, Q1.1",
          scalar_cell(), per_step_sigmoid_log_loss(), "L", "w_1", dims=(),
          inputs=(Symbol("x_1", (), "x_{1}", "first input, one number per step"),
                  Symbol("x_2", (), "x_{2}", "second input, one number per step")), scalar=True),
    model("birnn", "Bidirectional RNN", f"{COLLINS}, Question 2",
          bidirectional_cell(), concat_readout(), "o", "W_hx", dims=BIDIRECTIONAL_DIMS),
    model("birnn-shared", "Bidirectional RNN with one set of weights for both directions",
          f"{HOMEWORK}, Q1.4",
          bidirectional_cell(shared=True), concat_readout(), "o", "W_hx", dims=BIDIRECTIONAL_DIMS),
    stacked(),
    stacked(residual=True),
    model("stacked-birnn", "Two-level bidirectional RNN", f"{COLLINS}, Question 2a",
          two_level_bidirectional_cell(), concat_readout(("h2", "eta2")), "o", "W_hx", dims=BIDIRECTIONAL_DIMS),
    model("tagger", "Bidirectional RNN with a recurrence over the previous tags", f"{COLLINS}, Question 2b",
          tag_cell(), tagger_readout(), "o", "W_hx",
          dims=HIDDEN_DIMS + (Dim("3*m", "three times the hidden units (a CONCAT of h, eta, beta)", (3, "m")),)),
    model("leaky", "Leaky units", f"{GOODFELLOW}, section 10.9; {STUDY}, 10.9.1",
          leaky_cell(), final_log_softmax(), "o", "alpha"),
    model("leaky-free", "Leaky units with a free weight beta", f"{STUDY}, 10.9.3 (u = alpha u + beta v)",
          leaky_cell(free_beta=True), final_log_softmax(), "o", "beta"),
)}


READOUTS = {
    "final": ("a readout at the last step, l = V h^{(n)} + γ, q = LS(l), o = -q_y (Collins, Question 1)", "o"),
    "every": ("a softmax output and cross-entropy loss at every step, L = Σ_t L^{(t)} (Goodfellow 10.8-10.14)", "L"),
}
"""Readouts any single-state model can take instead of its source's (``--readout``): description, loss."""


_CELLS = {
    "elman": elman_cell, "goodfellow": goodfellow_cell, "gru": gru_cell, "gru-torch": gru_torch_cell,
    "lstm": lstm_cell, "leaky": leaky_cell, "leaky-free": lambda: leaky_cell(free_beta=True),
}
"""The models whose cell ends in one state h that a different readout can read."""


def _readout_part(readout: str, model_name: str) -> Part:
    if readout == "every":
        return every_step_softmax()
    return final_log_softmax(log_probabilities="p" if model_name == "lstm" else "q")


def with_readout(base: Model, readout: str) -> Model:
    """``base`` with another of the READOUTS (its cell unchanged), or an InputError."""
    if readout not in READOUTS:
        raise InputError(f"unknown readout {readout!r}; choose one of {', '.join(READOUTS)}")
    if base.name not in _CELLS:
        raise InputError(f"model {base.name} keeps its source's readout; --readout is for {', '.join(_CELLS)}")
    loss = READOUTS[readout][1]
    return model(base.name, f"{base.title}, with {READOUTS[readout][0].split(',')[0]}", base.source,
                 _CELLS[base.name](), _readout_part(readout, base.name), loss, base.default_wrt)


LAYERED = {"stacked": lambda layers: stacked(layers), "stacked-residual": lambda layers: stacked(layers, True)}
"""Models that take --layers; MODELS holds them with two layers."""


def get_model(name: str, layers: int | None = None, readout: str | None = None) -> Model:
    """The built-in model called ``name`` (with ``layers`` layers, for a stacked one; with another
    ``readout``, for a single-state one), or an InputError."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; choose one of {', '.join(MODELS)} (see 'symrnn models')")
    found = MODELS[name]
    if layers is not None:
        if name not in LAYERED:
            raise InputError(f"model {name} has no layers to set; --layers is for {', '.join(LAYERED)}")
        found = LAYERED[name](layers)
    return with_readout(found, readout) if readout is not None else found
