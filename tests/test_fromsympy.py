"""Networks written with SymPy matrix symbols: elman, gru and leaky give the built-ins' derivations byte for byte;
SymPy's own order of terms never shows; what the model language cannot say is one clear error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from sympy import Function, HadamardProduct, MatrixSymbol, OneMatrix

import symrnn
from symrnn.fromsympy import from_sympy, logsoftmax, model_file_from_sympy, norm2, sum_t

m, d, K = sympy.symbols("m d K")
x, y = MatrixSymbol("x", d, 1), sympy.Symbol("y")
V, gamma = MatrixSymbol("V", K, m), MatrixSymbol("gamma", K, 1)
h_0, h_prev = MatrixSymbol("h_0", m, 1), MatrixSymbol("h_prev", m, 1)
g, sigmoid = Function("g"), Function("sigmoid")
DIMENSIONS = {"d": "input size", "m": "hidden units", "K": "number of labels"}
COLLINS = "M. Collins, flipped-classroom questions on recurrent networks"


def weights(*names: str) -> dict[str, MatrixSymbol]:
    """W_* (m × d), U_* (m × m) and b_* (m) of each gate."""
    return {f"{kind}_{gate}": MatrixSymbol(f"{kind}_{gate}", m, {"W": d, "U": m, "b": 1}[kind])
            for gate in names for kind in "WUb"}


def final_readout(h) -> dict:
    l = V * h + gamma  # noqa: E741 - Collins's name
    q = logsoftmax(l)
    return {"l": l, "q": q, "o": -q[y, 0]}


def elman(a=None) -> dict:
    W_hx, W_hh, b_h = MatrixSymbol("W_hx", m, d), MatrixSymbol("W_hh", m, m), MatrixSymbol("b_h", m, 1)
    a = W_hx * x + W_hh * h_prev + b_h if a is None else a
    h = a.applyfunc(g)
    return dict(name="elman", title="Elman RNN (simple recurrent network)", source=f"{COLLINS}, Question 1",
                dimensions=DIMENSIONS, parameters=[W_hx, W_hh, b_h, h_0, V, gamma], inputs=[x], labels={y: K},
                states={"h": (h_prev, h_0)}, step={"a": a, "h": h}, inline=["a"], readout=final_readout(h),
                loss="o", wrt="W_hx", latex={"W_hx": "W^{hx}", "W_hh": "W^{hh}", "b_h": "b^{h}", "h_0": "h^{0}"})


def gru() -> dict:
    p = weights("z", "r", "h")
    z = (p["W_z"] * x + p["U_z"] * h_prev + p["b_z"]).applyfunc(sigmoid)
    r = (p["W_r"] * x + p["U_r"] * h_prev + p["b_r"]).applyfunc(sigmoid)
    a = p["W_h"] * x + p["U_h"] * HadamardProduct(r, h_prev) + p["b_h"]
    htilde = a.applyfunc(g)
    h = HadamardProduct(OneMatrix(m, 1) - z, h_prev) + HadamardProduct(z, htilde)
    return dict(name="gru", title="Gated recurrent unit", source=f"{COLLINS}, Question 3", dimensions=DIMENSIONS,
                parameters=list(p.values()) + [h_0, V, gamma], inputs=[x], labels={y: K},
                states={"h": (h_prev, h_0)}, step={"z": z, "r": r, "a": a, "htilde": htilde, "h": h}, inline=["a"],
                readout=final_readout(h), loss="o", wrt="U_z",
                latex={name: f"{name[0]}^{{{name[2]}}}" for name in p} | {"h_0": "h^{0}", "htilde": r"\tilde{h}"})


def leaky() -> dict:
    """The leaky unit of Deep Learning §10.9.2 in the book's letters: u = α u^{(t-1)} + (1 - α) v."""
    U, W, b, c = MatrixSymbol("U", m, d), MatrixSymbol("W", m, m), MatrixSymbol("b", m, 1), MatrixSymbol("c", K, 1)
    u_0, u_prev, alpha = MatrixSymbol("u_0", m, 1), MatrixSymbol("u_prev", m, 1), sympy.Symbol("alpha")
    a = U * x + W * u_prev + b
    v = a.applyfunc(g)
    u = alpha * u_prev + (1 - alpha) * v
    o = V * u + c
    return dict(name="leaky", title="Leaky units",
                source="Goodfellow, Bengio and Courville, Deep Learning, ch. 10, section 10.9; study questions on "
                       "Goodfellow et al., Deep Learning, ch. 10, 10.9.1",
                dimensions=DIMENSIONS, parameters=[U, W, b, u_0, alpha, V, c], inputs=[x], labels={y: K},
                states={"u": (u_prev, u_0)}, step={"a": a, "v": v, "u": u}, inline=["a", "v"],
                readout={"o": o, "L": -logsoftmax(o)[y, 0]}, loss="L", wrt="alpha", latex={"u_0": "u^{0}"})


BUILT = {"elman": elman, "gru": gru, "leaky": leaky}


@pytest.mark.parametrize("name", sorted(BUILT))
@pytest.mark.parametrize("options", [{}, {"form": "both"}, {"wrt": "all"}, {"steps": 5, "activation": "tanh"}],
                         ids=["default", "both", "all", "n5-tanh"])
def test_a_built_in_written_in_sympy_derives_byte_identically(name, options):
    steps = options.pop("steps", 3)
    mine, theirs = from_sympy(**BUILT[name]()), symrnn.get_model(name)
    for fmt in ("latex", "markdown", "json"):
        assert symrnn.render(symrnn.document(mine, steps, **options), fmt) == \
            symrnn.render(symrnn.document(name, steps, **options), fmt), fmt
    assert mine.step == theirs.step and mine.readout == theirs.readout and mine.param_names == theirs.param_names


@given(order=st.permutations(range(3)), nested=st.booleans())
def test_the_order_written_in_sympy_never_shows(order, nested):
    W_hx, W_hh, b_h = MatrixSymbol("W_hx", m, d), MatrixSymbol("W_hh", m, m), MatrixSymbol("b_h", m, 1)
    terms = [W_hx * x, W_hh * h_prev, b_h]
    terms = [terms[i] for i in order]
    with sympy.evaluate(not nested):
        a = terms[0] + terms[1] + terms[2]
    assert model_file_from_sympy(**elman(a)) == model_file_from_sympy(**elman())


def test_the_model_file_it_writes_is_the_catalogue_equations():
    text = model_file_from_sympy(**gru())
    assert "  a = W_h x + U_h (r * h[t-1]) + b_h   # inline\n  htilde = g(a)\n" in text
    assert "  h = (1 - z) * h[t-1] + z * htilde\n" in text and "  o = -q[y]\n" in text
    assert "  u = alpha * u[t-1] + (1 - alpha) * v\n" in model_file_from_sympy(**leaky())


def test_a_loss_at_every_step_and_a_state_from_zero():
    W, U, C = MatrixSymbol("W", m, d), MatrixSymbol("U", m, m), MatrixSymbol("C", d, m)
    h = (W * x + U * h_prev).applyfunc(sympy.tanh)
    L_t = norm2(C * h - x)
    model = from_sympy(name="tiny", step={"h": h, "L_t": L_t}, readout={"L": sum_t(L_t)}, loss="L",
                       states={"h": (h_prev, 0)}, inputs=[x])
    assert model.param_names == ("W", "U", "C") and model.initial == (("h", "0"),)
    assert symrnn.check(symrnn.derive(model, 3, wrt="U")).passed


@pytest.mark.parametrize("build, words", [
    (lambda: elman(MatrixSymbol("W_hx", m, d).T * x + MatrixSymbol("b_h", m, 1)), "is not in the model language"),
    (lambda: elman() | {"step": {"a": elman()["step"]["a"],
                                 "h": elman()["step"]["a"].applyfunc(Function("swish"))}},
     "is not a function of the model language"),
    (lambda: elman() | {"parameters": [MatrixSymbol("W_hx", m, d)]}, "parameters= leaves out"),
    (lambda: elman(MatrixSymbol("W_hx", m, d) * x + V * h_prev), "do not match"),
    (lambda: elman() | {"readout": {"o": -logsoftmax(V * h_prev)[sympy.Symbol("z"), 0]}},
     "an entry is picked by a label"),
    (lambda: elman() | {"loss": "l"}, "is not a number"),
])
def test_what_the_language_cannot_say_is_one_line(build, words):
    with pytest.raises(symrnn.InputError) as caught:
        from_sympy(**build())
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_the_readmes_python_examples_run():
    root = Path(__file__).resolve().parent.parent
    blocks = re.findall(r"```python\n(.*?)```", (root / "README.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        done = subprocess.run([sys.executable, "-c", block], cwd=root, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
