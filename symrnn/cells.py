"""The cells of the built-in models: each one's step equations, in the notation of its source."""

from __future__ import annotations

import sympy

from .expr import Add, Apply, Concat, Expr, Label, MatVec, Mul, OneHot, Ref, Scale
from .models import ZERO, Definition, Symbol
from .parts import PREVIOUS, Part, X, affine, initial_state, one_minus, vector, weight


def elman_cell() -> Part:
    """h^{(t)} = g(W^{hx}x^{(t)} + W^{hh}h^{(t-1)} + b^h), Collins, Question 1."""
    h0, init = initial_state()
    return Part(
        params=(weight("W_hx", "W^{hx}", "m", "d", "input-to-hidden weights"),
                weight("W_hh", "W^{hh}", "m", "m", "hidden-to-hidden weights"),
                vector("b_h", "b^{h}", "hidden bias"), h0),
        initial=(init,),
        step=(Definition("a", ("m",), "a", affine(("W_hx", X), ("W_hh", PREVIOUS), bias=("b_h",)), inline=True),
              Definition("h", ("m",), "h", Apply("g", Ref("a")))),
    )


def goodfellow_cell() -> Part:
    """Goodfellow eq. 10.8-10.9: a = b + W h^{(t-1)} + U x^{(t)}, h = tanh(a)."""
    h0, init = initial_state()
    return Part(
        params=(weight("U", "U", "m", "d", "input-to-hidden weights"),
                weight("W", "W", "m", "m", "hidden-to-hidden weights"),
                vector("b", "b", "hidden bias"), h0),
        initial=(init,),
        step=(Definition("a", ("m",), "a", Add((Ref("b"), MatVec(Ref("W"), PREVIOUS), MatVec(Ref("U"), X))),
                         inline=True),
              Definition("h", ("m",), "h", Apply("tanh", Ref("a")))),
    )


def gru_cell() -> Part:
    """Collins, Question 3: gates z, r; candidate h̃ = g(W^h x + U^h (r ⊙ h^{(t-1)}) + b^h)."""
    h0, init = initial_state()
    gates = tuple(p for gate in ("z", "r", "h") for p in (
        weight(f"W_{gate}", f"W^{{{gate}}}", "m", "d", f"input weights of {_GRU_ROLE[gate]}"),
        weight(f"U_{gate}", f"U^{{{gate}}}", "m", "m", f"recurrent weights of {_GRU_ROLE[gate]}"),
        vector(f"b_{gate}", f"b^{{{gate}}}", f"bias of {_GRU_ROLE[gate]}")))
    return Part(
        params=gates + (h0,), initial=(init,),
        step=(
            Definition("z", ("m",), "z", Apply("sigmoid", affine(("W_z", X), ("U_z", PREVIOUS), bias=("b_z",)))),
            Definition("r", ("m",), "r", Apply("sigmoid", affine(("W_r", X), ("U_r", PREVIOUS), bias=("b_r",)))),
            Definition("a", ("m",), "a", affine(("W_h", X), ("U_h", Mul(Ref("r"), PREVIOUS)), bias=("b_h",)),
                       inline=True),
            Definition("htilde", ("m",), r"\tilde{h}", Apply("g", Ref("a"))),
            Definition("h", ("m",), "h", Add((Mul(one_minus(Ref("z")), PREVIOUS), Mul(Ref("z"), Ref("htilde"))))),
        ),
    )


_GRU_ROLE = {"z": "the update gate z", "r": "the reset gate r", "h": "the candidate state"}


def gru_torch_cell() -> Part:
    """PyTorch nn.GRUCell: r, z gates, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1-z) ⊙ n + z ⊙ h."""
    h0, init = initial_state()
    params = tuple(_torch_weights("r", "z", "n")) + (h0,)
    return Part(
        params=params, initial=(init,),
        step=(
            Definition("r", ("m",), "r", Apply("sigmoid", _torch_affine("r"))),
            Definition("z", ("m",), "z", Apply("sigmoid", _torch_affine("z"))),
            Definition("n", ("m",), "n", Apply("tanh", Add((
                MatVec(Ref("W_in"), X), Ref("b_in"),
                Mul(Ref("r"), affine(("W_hn", PREVIOUS), bias=("b_hn",))))))),
            Definition("h", ("m",), "h", Add((Mul(one_minus(Ref("z")), Ref("n")), Mul(Ref("z"), PREVIOUS)))),
        ),
    )


def _torch_weights(*gates: str):
    """PyTorch's names: W_i* (m × d), W_h* (m × m), b_i*, b_h* for each gate."""
    for gate in gates:
        yield weight(f"W_i{gate}", f"W_{{i{gate}}}", "m", "d", f"input weights of gate {gate}")
    for gate in gates:
        yield weight(f"W_h{gate}", f"W_{{h{gate}}}", "m", "m", f"recurrent weights of gate {gate}")
    for gate in gates:
        yield vector(f"b_i{gate}", f"b_{{i{gate}}}", f"input bias of gate {gate}")
    for gate in gates:
        yield vector(f"b_h{gate}", f"b_{{h{gate}}}", f"recurrent bias of gate {gate}")


def _torch_affine(gate: str) -> Add:
    return affine((f"W_i{gate}", X), (f"W_h{gate}", PREVIOUS), bias=(f"b_i{gate}", f"b_h{gate}"))


def lstm_cell() -> Part:
    """Goodfellow eq. 10.40-10.44: forget gate f, state s, external input gate g, output gate q."""
    h0, init_h = initial_state()
    s0, init_s = initial_state("s", "s^{0}")
    unit = {"f": ("U_f", "W_f", "b_f"), "in": ("U", "W", "b"), "g": ("U_g", "W_g", "b_g"), "q": ("U_o", "W_o", "b_o")}
    latex = {"U_f": "U^{f}", "W_f": "W^{f}", "b_f": "b^{f}", "U": "U", "W": "W", "b": "b", "U_g": "U^{g}",
             "W_g": "W^{g}", "b_g": "b^{g}", "U_o": "U^{o}", "W_o": "W^{o}", "b_o": "b^{o}"}
    params = tuple(p for role, (u, w, b) in unit.items() for p in (
        weight(u, latex[u], "m", "d", f"input weights of {_LSTM_ROLE[role]}"),
        weight(w, latex[w], "m", "m", f"recurrent weights of {_LSTM_ROLE[role]}"),
        vector(b, latex[b], f"bias of {_LSTM_ROLE[role]}")))

    def gate(role: str) -> Apply:
        u, w, b = unit[role]
        return Apply("sigmoid", Add((Ref(b), MatVec(Ref(u), X), MatVec(Ref(w), PREVIOUS))))

    return Part(
        params=params + (h0, s0), initial=(init_h, init_s),
        step=(
            Definition("f", ("m",), "f", gate("f")),
            Definition("g", ("m",), "g", gate("g")),
            Definition("q", ("m",), "q", gate("q")),
            Definition("a", ("m",), "a", gate("in").arg, inline=True),
            Definition("s", ("m",), "s", Add((Mul(Ref("f"), Ref("s", -1)), Mul(Ref("g"), Apply("sigmoid", Ref("a")))))),
            Definition("h", ("m",), "h", Mul(Apply("tanh", Ref("s")), Ref("q"))),
        ),
    )


_LSTM_ROLE = {"f": "the forget gate f", "in": "the input unit", "g": "the external input gate g",
              "q": "the output gate q"}


def lstm_torch_cell() -> Part:
    """PyTorch nn.LSTMCell: i, f, g, o; c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')."""
    h0, init_h = initial_state()
    c0, init_c = initial_state("c", "c^{0}")
    functions = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"}
    return Part(
        params=tuple(_torch_weights(*functions)) + (h0, c0), initial=(init_h, init_c),
        step=tuple(Definition(gate, ("m",), gate, Apply(fn, _torch_affine(gate))) for gate, fn in functions.items())
        + (Definition("c", ("m",), "c", Add((Mul(Ref("f"), Ref("c", -1)), Mul(Ref("i"), Ref("g"))))),
           Definition("h", ("m",), "h", Mul(Ref("o"), Apply("tanh", Ref("c"))))),
    )


def leaky_cell(free_beta: bool = False) -> Part:
    """Goodfellow §10.9: h^{(t)} = α h^{(t-1)} + (1-α) g(a^{(t)}); with ``free_beta``, β g(a^{(t)}) (the study
    questions on Deep Learning ch. 10, 10.9.3)."""
    base = elman_cell()
    alpha = Symbol("alpha", (), r"\alpha", "leak: the weight of the previous state (a scalar)")
    beta = Symbol("beta", (), r"\beta", "the weight of the new value (a scalar, free)")
    new_weight = Ref("beta") if free_beta else one_minus(Ref("alpha"), vector_valued=False)
    return Part(
        params=base.params + ((alpha, beta) if free_beta else (alpha,)), initial=base.initial,
        step=(base.step[0],
              Definition("h", ("m",), "h", Add((Scale(Ref("alpha"), PREVIOUS),
                                                Scale(new_weight, Apply("g", Ref("a"))))))),
    )


def deng_cell() -> Part:
    """Deng and Finlayson §1: h_t = σ(W x_t + V h_{t-1} + b), o_t = C h_t, with h_{-1} = 0."""
    return Part(
        params=(weight("W", "W", "m", "d", "input weights"), weight("V", "V", "m", "m", "recurrent weights"),
                vector("b", "b", "hidden bias"), weight("C", "C", "d", "m", "output weights")),
        initial=(("h", ZERO),),
        step=(Definition("a", ("m",), "a", affine(("W", X), ("V", PREVIOUS), bias=("b",)), inline=True),
              Definition("h", ("m",), "h", Apply("g", Ref("a"))),
              Definition("o", ("d",), "o", MatVec(Ref("C"), Ref("h")))),
    )


def scalar_cell() -> Part:
    """The graded homework, Q1.1: h^{(t)} = ReLU(w_1 x_1^{(t)} + w_2 x_2^{(t)} + u h^{(t-1)} + b_h), every
    value a number."""
    number = lambda name, latex, what: Symbol(name, (), latex, what)  # noqa: E731
    return Part(
        params=(number("w_1", "w_{1}", "weight of input x_1"), number("w_2", "w_{2}", "weight of input x_2"),
                number("u", "u", "recurrent weight"), number("b_h", "b_{h}", "hidden bias"),
                number("h_0", "h_{0}", "initial state")),
        initial=(("h", "h_0"),),
        step=(Definition("a", (), "a", Add((Scale(Ref("w_1"), Ref("x_1")), Scale(Ref("w_2"), Ref("x_2")),
                                            Scale(Ref("u"), PREVIOUS), Ref("b_h"))), inline=True),
              Definition("h", (), "h", Apply("relu", Ref("a")))),
    )


def bidirectional_cell(shared: bool = False) -> Part:
    """Collins, Question 2: forward h^{(t)} and backward η^{(t)} = g(W^{bhx} x^{(t)} + W^{bhh} η^{(t+1)} + b^{bh});
    with ``shared``, the backward direction uses the forward weights (the graded homework on RNNs, Q1.4)."""
    forward = elman_cell()
    eta0 = vector("eta_0", r"\eta^{0}", "initial backward state eta^{(n+1)}")
    backward = {"x": "W_hx", "h": "W_hh", "b": "b_h"} if shared else {"x": "W_bhx", "h": "W_bhh", "b": "b_bh"}
    own = () if shared else (weight("W_bhx", "W^{bhx}", "m", "d", "backward input weights"),
                             weight("W_bhh", "W^{bhh}", "m", "m", "backward recurrent weights"),
                             vector("b_bh", "b^{bh}", "backward bias"))
    return Part(
        params=forward.params + own + (eta0,), initial=forward.initial + (("eta", "eta_0"),),
        step=forward.step + (
            Definition("alpha", ("m",), r"\bar{a}", affine((backward["x"], X), (backward["h"], Ref("eta", 1)),
                                                             bias=(backward["b"],)), inline=True, backward=True),
            Definition("eta", ("m",), r"\eta", Apply("g", Ref("alpha")), backward=True)),
    )


def second_level_cell() -> Part:
    """Collins, Question 2a: a second forward and backward level, each reading CONCAT(h^{(t)}, η^{(t)})."""
    below = Concat((Ref("h"), Ref("eta")))
    levels = {"h2": ("2hx", "2hh", "2h", -1, False), "eta2": ("2bhx", "2bhh", "2bh", 1, True)}
    params: tuple[Symbol, ...] = ()
    step: tuple[Definition, ...] = ()
    initial: tuple[tuple[str, str], ...] = ()
    for state, (wx, wh, b, shift, backward) in levels.items():
        latex = r"h^{(2,@)}" if state == "h2" else r"\eta^{(2,@)}"
        params += (weight(f"W_{wx}", f"W^{{{wx}}}", "m", "2*m", f"level-2 input weights of {state}"),
                   weight(f"W_{wh}", f"W^{{{wh}}}", "m", "m", f"level-2 recurrent weights of {state}"),
                   vector(f"b_{b}", f"b^{{{b}}}", f"level-2 bias of {state}"),
                   vector(f"{state}_0", r"h^{2,0}" if state == "h2" else r"\eta^{2,0}", f"initial state of {state}"))
        initial += ((state, f"{state}_0"),)
        pre = f"a_{state}"
        step += (Definition(pre, ("m",), r"a^{(2,@)}" if state == "h2" else r"\bar{a}^{(2,@)}",
                            affine((f"W_{wx}", below), (f"W_{wh}", Ref(state, shift)), bias=(f"b_{b}",)),
                            inline=True, backward=backward),
                 Definition(state, ("m",), latex, Apply("g", Ref(pre)), backward=backward))
    return Part(params=params, initial=initial, step=step)


def two_level_bidirectional_cell() -> Part:
    first, second = bidirectional_cell(), second_level_cell()
    return Part(params=first.params + second.params, initial=first.initial + second.initial,
                step=first.step + second.step)


def layer_cell(layer: int, below: Expr, below_size: str) -> Part:
    """The graded homework, Q1.3: h_ℓ^{(t)} = g(W_ℓ (input from below) + U_ℓ h_ℓ^{(t-1)} + b_ℓ)."""
    h, a = f"h{layer}", f"a{layer}"
    state = vector(f"{h}_0", f"h_{{{layer},0}}", f"initial state of layer {layer}")
    return Part(
        params=(weight(f"W_{layer}", f"W_{{{layer}}}", "m", below_size, f"input weights of layer {layer}"),
                weight(f"U_{layer}", f"U_{{{layer}}}", "m", "m", f"recurrent weights of layer {layer}"),
                vector(f"b_{layer}", f"b_{{{layer}}}", f"bias of layer {layer}"), state),
        initial=((h, state.name),),
        step=(Definition(a, ("m",), f"a_{{{layer}}}", affine((f"W_{layer}", below), (f"U_{layer}", Ref(h, -1)),
                                                              bias=(f"b_{layer}",)), inline=True),
              Definition(h, ("m",), f"h_{{{layer}}}", Apply("g", Ref(a)))),
    )


def stacked_cell(layers: int) -> Part:
    """Layers 1..L, each reading the layer below at the same step (layer 1 reads x)."""
    parts = [layer_cell(1, X, "d")] + [layer_cell(k, Ref(f"h{k - 1}"), "m") for k in range(2, layers + 1)]
    return Part(params=sum((p.params for p in parts), ()), initial=sum((p.initial for p in parts), ()),
                step=sum((p.step for p in parts), ()))


def tag_cell() -> Part:
    """Collins, Question 2b, one answer: β^{(t)} = g(W^{βy} e_{y_t} + W^{ββ} β^{(t-1)} + b^β) over the previous tags,
    beside the bidirectional h and η."""
    first = bidirectional_cell()
    tag = OneHot(Label("tags"), sympy.Symbol("K", integer=True, positive=True))
    return Part(
        params=first.params + (weight("W_by", r"W^{\beta y}", "m", "K", "tag-to-state weights"),
                               weight("W_bb", r"W^{\beta\beta}", "m", "m", "tag-state recurrent weights"),
                               vector("b_b", r"b^{\beta}", "tag-state bias"),
                               vector("beta_0", r"\beta^{0}", "initial tag state beta^{(0)}")),
        labels=(Symbol("tags", ("K",), "y", "the tags y_1 ... y_n, one per step (only y_1 ... y_{i-1} are read)",
                       per_step=True),),
        initial=first.initial + (("beta", "beta_0"),),
        step=first.step + (Definition("beta", ("m",), r"\beta", Apply("g", affine(
            ("W_by", tag), ("W_bb", Ref("beta", -1)), bias=("b_b",)))),),
    )
