"""Model files: the issue's own files derive exactly as the built-ins do, a cell the catalogue does not have is
proved against PyTorch, and every bad file is one line naming the file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import symrnn
from helpers import compile_latex, error_line, near_finite_differences, ok, run
from symrnn.checking import derived_gradient, finite_difference, random_instance, relative_error
from symrnn.modelfile import default_latex, model_from_text

MODELS = Path(__file__).resolve().parent.parent / "examples" / "models"
CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
ELMAN = str(CATALOGUE / "elman.yaml")
MGU = str(MODELS / "mgu.yaml")


ISSUE_ELMAN = """\
name: elman
title: Elman RNN (simple recurrent network)
source: M. Collins, flipped-classroom questions on recurrent networks, Question 1
dimensions: {d: input size, m: hidden units, K: classes}
parameters:
  W_hx: {shape: [m, d], latex: 'W^{hx}', description: input-to-hidden weights}
  W_hh: {shape: [m, m], latex: 'W^{hh}'}
  b_h:  {shape: [m], latex: 'b^{h}'}
  h_0:  {shape: [m], latex: 'h^{0}'}
  V:    [K, m]
  gamma: {shape: [K], latex: '\\gamma'}
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
wrt: W_hx
"""
"""The elman file exactly as the issue that asked for model files gives it (the shipped one adds descriptions)."""


@pytest.mark.parametrize("options", [[], ["-f", "markdown"], ["-f", "json"], ["--wrt", "all", "-f", "json"],
                                     ["--standalone", "--form", "both", "--check"]], ids=" ".join)
def test_the_elman_file_as_the_issue_gives_it_derives_as_the_built_in(tmp_path, options):
    path = tmp_path / "elman.yaml"
    path.write_text(ISSUE_ELMAN, encoding="utf-8")
    assert ok("derive", "-m", str(path), "-n", "3", *options) == ok("derive", "-m", "elman", "-n", "3", *options)


@pytest.mark.parametrize("name", sorted(p.stem for p in CATALOGUE.glob("*.yaml")))
def test_a_built_in_read_from_its_path_equals_it_by_name(name):
    for options in ([], ["-f", "json", "--wrt", "all"]):
        assert ok("derive", "-m", str(CATALOGUE / f"{name}.yaml"), "-n", "3", *options) == \
            ok("derive", "-m", name, "-n", "3", *options)


def mgu_forward(p: dict, x: torch.Tensor, y: tuple[int, ...]) -> torch.Tensor:
    """Zhou et al. (2016), written directly: f = σ(W_f x + U_f h + b_f), h̃ = tanh(W_h x + U_h (f ⊙ h) + b_h),
    h = (1 - f) ⊙ h + f ⊙ h̃, L = Σ_t -log softmax(V h + c)_{y_t}."""
    h, total = p["h_0"], torch.zeros((), dtype=torch.float64)
    for xt, yt in zip(x, y):
        f = torch.sigmoid(p["W_f"] @ xt + p["U_f"] @ h + p["b_f"])
        htilde = torch.tanh(p["W_h"] @ xt + p["U_h"] @ (f * h) + p["b_h"])
        h = (1 - f) * h + f * htilde
        total = total - torch.log_softmax(p["V"] @ h + p["c"], dim=0)[yt - 1]
    return total


@given(steps=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_the_mgu_file_equals_pytorch_autograd(steps, seed):
    model = symrnn.modelfile.load_model(MGU)
    instance = random_instance(model, steps, np.random.default_rng(seed))
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in instance.arrays.items() if name != "x"}
    mgu_forward(params, torch.tensor(instance.arrays["x"]), instance.labels["y"]).backward()
    result = symrnn.derive(MGU, steps, wrt="all")
    for part in result.parts:
        for form in ("factored",):
            derived = derived_gradient(part, instance, "g")
            assert relative_error(derived, params[part.wrt].grad.numpy()) <= 1e-9, (part.wrt, form)


def test_the_mgu_file_checks_and_compiles(tmp_path):
    assert "passed" in ok("derive", "-m", MGU, "-n", "3", "--check", "-f", "markdown")
    compile_latex(tmp_path, ok("derive", "-m", MGU, "-n", "3", "--wrt", "all", "--check", "--standalone"))


@pytest.mark.parametrize("name", sorted(p.name for p in MODELS.glob("*.yaml")))
def test_every_example_model_file_derives_checks_and_compiles(tmp_path, name):
    text = ok("derive", "-m", str(MODELS / name), "-n", "3", "--wrt", "all", "--check", "--standalone")
    assert "FAILED" not in text
    compile_latex(tmp_path, text)


def test_default_latex():
    assert [default_latex(n) for n in ("alpha", "W_f", "htilde", "L_t", "x", "b_h", "yhat", "loss")] == [
        r"\alpha", "W_{f}", r"\tilde{h}", "L", "x", "b_{h}", r"\hat{y}", r"\mathrm{loss}"]


BASE = """name: net
dimensions: {d: input size, m: hidden units, K: classes}
parameters: {W: [m, d], U: [m, m], b: [m], h_0: [m], V: [K, m], c: [K]}
inputs: {x: [d]}
labels: {y: K}
states: {h: h_0}
step: |
  h = tanh(W x + U h[t-1] + b)
readout: |
  l = V h[n] + c
  o = -logsoftmax(l)[y]
loss: o
"""

BAD_FILES = [
    # (id, replace this, with this, words the error line must contain)
    ("shape-mismatch", "W x + U h[t-1] + b", "W x + U h[t-1] + c",
     ["net.yaml:8:12: W x + U h[t-1] + c: (m) + (m) + (K) do not match"]),
    ("matrix-size", "W x + U h[t-1]", "U x + U h[t-1]", ["net.yaml:8:", "U is m x m but multiplies a (d) value"]),
    ("unknown-name", "W x + U h[t-1] + b", "W x + U h[t-1] + bb", ["net.yaml:8:", "unknown name 'bb'"]),
    ("unknown-function", "tanh(", "tahn(", ["net.yaml:8:", "unknown name 'tahn'"]),
    ("state-read-early", "U h[t-1]", "U h", ["net.yaml:8:", "h is read before it is defined"]),
    ("readout-without-step", "V h[n]", "V h", ["net.yaml:10:", "write h[n]"]),
    ("n-in-step", "U h[t-1]", "U h[n]", ["net.yaml:8:", "is read after the last step"]),
    ("bad-time", "U h[t-1]", "U h[s]", ["net.yaml:8:", "a step is t, t-1, t+1, n or i"]),
    ("fraction-shift", "U h[t-1]", "U h[t-1.5]", ["net.yaml:8:", "a step offset is a whole number"]),
    ("not-a-state", "U h[t-1]", "U b[t-1]", ["net.yaml:8:", "only a state or an input has a step"]),
    ("label-not-vector", "-logsoftmax(l)[y]", "-l[y][y]", ["net.yaml:11:", "picks one of K entries"]),
    ("label-alone", "-logsoftmax(l)[y]", "-y", ["net.yaml:11:", "the label y picks an entry"]),
    ("per-step-label", "-logsoftmax(l)[y]", "-logsoftmax(l)[y[t]]", ["net.yaml:11:", "is one label"]),
    ("unclosed", "tanh(W x + U h[t-1] + b)", "tanh(W x + U h[t-1] + b", ["net.yaml:8:", "expected ')'"]),
    ("stray-character", "W x + U h[t-1] + b", "W x + U h[t-1] + b $", ["net.yaml:8:", "unexpected '$'"]),
    ("not-an-equation", "h = tanh(", "h tanh(", ["net.yaml:8:", "an equation is NAME = expression"]),
    ("defined-twice", "readout: |\n", "readout: |\n  h = b\n", ["net.yaml:10:", "h is defined twice"]),
    ("read-before-defined", "-logsoftmax(l)[y]", "-logsoftmax(o)[y]", ["net.yaml:11:", "unknown name 'o'"]),
    ("unread-parameter", "c: [K]}", "c: [K], e: [K]}", ["net.yaml: e is a parameter nothing reads"]),
    ("undefined-state", "states: {h: h_0}", "states: {h: h_0, s: h_0}", ["net.yaml: the state s is never defined"]),
    ("vector-loss", "loss: o", "loss: l", ["net.yaml: the loss l is not a number (it is K)"]),
    ("unknown-loss", "loss: o", "loss: zz", ["net.yaml: the loss zz is not defined"]),
    ("scalar-softmax", "l = V h[n] + c", "l = norm2(V h[n] + c)", ["net.yaml:11:", "logsoftmax takes a vector"]),
    ("sum-in-step", "tanh(W x", "tanh(sum_t(W x)", ["net.yaml:8:", "sum_t sums over the steps"]),
    ("matrix-times-matrix", "W x + U h[t-1]", "U W x + U h[t-1]",
     ["net.yaml:8:", "U is m x m but multiplies a (m x d) value"]),
    ("unknown-key", "loss: o\n", "loss: o\nlosses: o\n", ["unknown key 'losses'"]),
    ("concat-undeclared", "l = V h[n] + c", "l = V concat(h[n], h[n]) + c", ["net.yaml:10:", "declare it under"]),
    ("position-in-step", "U h[t-1]", "U h[i]", ["net.yaml:8:", "h[i] is read after the last step"]),
    ("dimension-not-a-name", "K: classes}", "K: classes, 3*m (h): three}", ["dimension '3*m (h)' is not a name"]),
    ("dimension-comma", "K: classes}", "K: classes, 3*m: three (h, eta, beta)}",
     ["dimension 'eta' has no description"]),
    ("onehot-not-a-label", "W x + U h[t-1]", "W x + U onehot(b)", ["net.yaml:8:", "onehot(y) takes a label"]),
    ("bad-notation", "loss: o\n", "loss: o\nnotation: {time_from: 2}\n", ["notation time_from: 2 is not known"]),
    ("zero-state-without-shape", "states: {h: h_0}", "states: {h: 0}", ["h starts at 0: give its shape"]),
    ("missing-step", "step: |\n  h = tanh(W x + U h[t-1] + b)\n", "", ["step is missing"]),
    ("bad-shape", "b: [m]", "b: m", ["b needs a shape"]),
    ("unknown-dimension", "b: [m]", "b: [q]", ["b uses dimension 'q'"]),
    ("not-yaml", "inputs: {x: [d]}", "inputs: {x: [d]", ["not valid YAML"]),
    ("bare-number", "l = V h[n] + c", "l = 2", ["l is a bare number"]),
    ("deep-parentheses", "tanh(W x + U h[t-1] + b)", "tanh(" + "(" * 200 + "b" + ")" * 200 + ")",
     ["nested more than"]),
    ("many-minus", "W x + U h[t-1] + b", "W x + U h[t-1] + " + "-" * 5000 + "b", ["nested too deep"]),
    ("description-comma", "b: [m]", "b: {shape: [m], description: hidden, bias}",
     ["b has an unknown key 'bias'", "quote a description that holds a comma"]),
    ("state-key", "states: {h: h_0}", "states: {h: {initial: 0, shape: [m], size: m}}",
     ["h has an unknown key 'size'"]),
    ("equal-lines", "readout: |\n", "readout: |\n  h = tanh(W x + U h[t-1] + b)\n",
     ["net.yaml:10:14: the input x is read at a step"]),
    ("input-before-start", "W x + U", "W x[t-1] + U", ["net.yaml:8:", "x[t-1] needs x's value before the first step"]),
]


@pytest.mark.parametrize("old, new, words", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_a_bad_model_file_is_one_line_with_its_position(tmp_path, old, new, words):
    assert old in BASE
    path = tmp_path / "net.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    line = error_line(run("derive", "-m", str(path), "-n", "2"))
    assert all(word in line for word in words), line


def test_the_base_file_is_good(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert "passed" in ok("derive", "-m", str(path), "-n", "3", "--check", "-f", "markdown")


def test_a_huge_or_missing_or_binary_model_file_is_one_line(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# " + b"x" * (2**20 + 10) + b"\n")
    assert "larger than the limit for a model file, 1 MiB" in error_line(run("derive", "-m", str(huge)))
    assert "cannot read model file" in error_line(run("derive", "-m", str(tmp_path / "absent.yaml")))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\n")
    assert "is not UTF-8" in error_line(run("derive", "-m", str(binary)))


def test_model_from_text_names_its_source():
    with pytest.raises(symrnn.InputError, match="<model>: step is missing"):
        model_from_text("name: x\nparameters: {W: [m, m]}\nloss: o\n")


def test_models_check_describes_a_file_and_proves_every_gradient():
    text = ok("models", "--check", MGU)
    assert text.startswith("mgu: mgu\n  source: Zhou et al. (2016)")
    assert "checked at n = 2 (complex step): W_f passed," in text and "FAILED" not in text
    data = json.loads(ok("models", "--check", ELMAN, "-f", "json"))
    assert data["equations"] == json.loads(ok("models", "-f", "json"))[0]["equations"]
    assert [c["wrt"] for c in data["check"]] == ["W_hx", "W_hh", "b_h", "h_0", "V", "gamma"]
    assert all(c["passed"] for c in data["check"])


def test_models_check_of_a_bad_file_is_one_line(tmp_path):
    path = tmp_path / "net.yaml"
    assert "cannot read model file" in error_line(run("models", "--check", str(tmp_path / "absent.yaml")))
    path.write_text(BASE.replace("tanh(", "tanh(("), encoding="utf-8")
    assert "net.yaml:8:" in error_line(run("models", "--check", str(path)))


# ---------------------------------------------------------------- random cells written in the language


@st.composite
def cells(draw, depth: int = 3):
    """A random cell h = f(x, h[t-1]) as model-file text and as the same function in PyTorch, built together:
    products W x and U h[t-1], biases, gates, elementwise products, 1 - z, negation."""
    counter = draw(st.just([0]))

    def fresh(kind: str) -> str:
        counter[0] += 1
        return f"{kind}_{counter[0]}"

    def node(level: int):
        leaves = ["Wx", "Uh", "b", "h"]
        choice = draw(st.sampled_from(leaves if level == 0 else leaves + [*TORCH_FUNCTIONS, "add", "mul", "one",
                                                                           "neg", "concat"]))
        if choice == "Wx":
            name = fresh("W")
            return f"{name} x", lambda p, x, h: p[name] @ x, {name: ("m", "d")}
        if choice == "Uh":
            name = fresh("U")
            return f"{name} h[t-1]", lambda p, x, h: p[name] @ h, {name: ("m", "m")}
        if choice == "b":
            name = fresh("b")
            return name, lambda p, x, h: p[name], {name: ("m",)}
        if choice == "h":
            return "h[t-1]", lambda p, x, h: h, {}
        if choice in TORCH_FUNCTIONS:
            text, fn, used = node(level - 1)
            op = TORCH_FUNCTIONS[choice]
            return f"{choice}({text})", lambda p, x, h: op(fn(p, x, h)), used
        if choice == "concat":
            (ta, fa, ua), (tb, fb, ub), name = node(level - 1), node(level - 1), fresh("C")
            return (f"{name} concat({ta}, {tb})", lambda p, x, h: p[name] @ torch.cat([fa(p, x, h), fb(p, x, h)]),
                    {**ua, **ub, name: ("m", "2*m")})
        if choice == "one":
            text, fn, used = node(level - 1)
            return f"(1 - {text})", lambda p, x, h: 1 - fn(p, x, h), used
        if choice == "neg":
            text, fn, used = node(level - 1)
            return f"(-{text})", lambda p, x, h: -fn(p, x, h), used
        (ta, fa, ua), (tb, fb, ub) = node(level - 1), node(level - 1)
        if choice == "add":
            return f"({ta} + {tb})", lambda p, x, h: fa(p, x, h) + fb(p, x, h), {**ua, **ub}
        return f"({ta} * {tb})", lambda p, x, h: fa(p, x, h) * fb(p, x, h), {**ua, **ub}

    text, fn, used = node(depth)
    text, fn, used = f"tanh({text} + W_0 x)", (lambda p, x, h, inner=fn: torch.tanh(inner(p, x, h) + p["W_0"] @ x)), \
        {**used, "W_0": ("m", "d")}
    return text, fn, used


TORCH_FUNCTIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus,
                   "identity": lambda v: v}
"""The elementwise functions a random cell draws from, as PyTorch computes them."""


def cell_file(text: str, used: dict) -> str:
    shapes = ", ".join(f"{name}: [{', '.join(shape)}]" for name, shape in sorted(used.items()))
    return (f"name: random\ndimensions: {{d: input size, m: hidden units, K: classes, 2*m: two states}}\n"
            f"parameters: {{{shapes}, h_0: [m], V: [K, m], c: [K]}}\ninputs: {{x: [d]}}\nlabels: {{y: K}}\n"
            f"states: {{h: h_0}}\nstep: |\n  h = {text}\nreadout: |\n  o = -logsoftmax(V h[n] + c)[y]\nloss: o\n")


@settings(max_examples=20)
@given(cell=cells(), steps=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_a_random_cell_equals_pytorch_autograd(tmp_path_factory, cell, steps, seed):
    text, forward, used = cell
    path = tmp_path_factory.mktemp("cell") / "random.yaml"
    path.write_text(cell_file(text, used), encoding="utf-8")
    model = symrnn.modelfile.load_model(str(path))
    instance = random_instance(model, steps, np.random.default_rng(seed))
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in instance.arrays.items() if name != "x"}
    h = params["h_0"]
    for xt in torch.tensor(instance.arrays["x"]):
        h = forward(params, xt, h)
    (-torch.log_softmax(params["V"] @ h + params["c"], dim=0)[instance.labels["y"] - 1]).backward()
    for part in symrnn.derive(str(path), steps, wrt="all").parts:
        reference = params[part.wrt].grad
        expected = np.zeros_like(instance.arrays[part.wrt]) if reference is None else reference.numpy()
        derived = derived_gradient(part, instance, "g")
        assert relative_error(derived, expected) <= 1e-9, (text, part.wrt)
        assert near_finite_differences(derived, finite_difference(part, instance, "g")), (text, part.wrt)


@settings(max_examples=3)
@given(cell=cells(depth=2))
def test_a_random_cells_document_compiles(tmp_path_factory, cell):
    text, _, used = cell
    folder = tmp_path_factory.mktemp("cell")
    (folder / "random.yaml").write_text(cell_file(text, used), encoding="utf-8")
    for options in (["--wrt", "all"], ["--wrt", "W_0", "--form", "both"]):
        compile_latex(folder, ok("derive", "-m", str(folder / "random.yaml"), "-n", "2", "--check", "--standalone",
                                 *options))


@settings(max_examples=60)
@given(edits=st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 3),
                                st.text(alphabet="hxWUbtn[]()+-*@,:#{}0123456789 \n_y", max_size=4)), max_size=4))
def test_a_damaged_model_file_keeps_the_contract(tmp_path_factory, edits):
    """Random edits of a good file: it derives, or fails with one line (exit 1 or 2), never a traceback."""
    text = BASE
    for position, length, insert in edits:
        text = text[:position] + insert + text[position + length:]
    path = tmp_path_factory.mktemp("damaged") / "net.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("derive", "-m", str(path), "-n", "2")
    assert result.exit_code in (0, 1, 2), result.exception
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
    if result.exit_code:
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr


def test_a_new_cell_written_from_the_readme_has_at_values_equal_to_pytorch(tmp_path):
    """IndRNN (Li et al. 2018), a cell symrnn has no built-in for: its --at value of every parameter equals
    PyTorch autograd of the same forward pass."""
    rng = np.random.default_rng(11)
    d, m, K, n = 3, 4, 2, 4
    values = {"W": rng.normal(0, 0.5, (m, d)), "u": rng.normal(0, 0.5, m), "b": rng.normal(0, 0.5, m) + 0.5,
              "h_0": rng.normal(0, 0.5, m), "V": rng.normal(0, 0.5, (K, m)), "c": rng.normal(0, 0.5, K),
              "x": rng.normal(0, 1, (n, d))}
    path = tmp_path / "values.json"
    path.write_text(json.dumps({**{k: v.tolist() for k, v in values.items()}, "y": 2}), encoding="utf-8")
    params = {k: torch.tensor(v, requires_grad=True) for k, v in values.items() if k != "x"}
    h = params["h_0"]
    for xt in torch.tensor(values["x"]):
        h = torch.relu(params["W"] @ xt + params["u"] * h + params["b"])
    (-torch.log_softmax(params["V"] @ h + params["c"], dim=0)[1]).backward()
    data = json.loads(ok("derive", "-m", str(MODELS / "indrnn.yaml"), "-n", str(n), "--wrt", "all", "--at", str(path),
                         "-f", "json"))
    for part in data["gradients"]:
        assert np.allclose(part["value"]["values"], params[part["wrt"]].grad.numpy(), rtol=1e-12, atol=1e-14)
    assert [part["wrt"] for part in data["gradients"]] == ["W", "u", "b", "h_0", "V", "c"]


def test_a_model_file_alias_bomb_is_refused_at_once(tmp_path):
    """Nine levels of nine aliases (9⁹ entries from a few hundred bytes), read as values files are read."""
    levels = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    path = tmp_path / "bomb.yaml"
    path.write_text("latex:\n" + "".join(f"  {line}\n" for line in levels)
                    + BASE.replace("d: input size", "d: *i"), encoding="utf-8")
    assert "expand to more than 4,194,304 entries" in error_line(run("derive", "-m", str(path), "-n", "1"))


def test_every_built_in_model_has_its_file_and_models_show_prints_it():
    from symrnn.catalogue import MODELS as BUILT_IN

    assert sorted(p.stem for p in CATALOGUE.glob("*.yaml")) == sorted(BUILT_IN)
    for name in BUILT_IN:
        assert ok("models", "--show", name) == (CATALOGUE / f"{name}.yaml").read_text(encoding="utf-8")
    assert "--show must be one of elman" in error_line(run("models", "--show", "zz"))


SOFTPLUS_CELL = BASE.replace("name: net", "name: softplus-cell").replace("tanh(", "softplus(").replace(
    "  l = V h[n] + c\n  o = -logsoftmax(l)[y]", "  e = exp(-h[n])\n  o = -logsoftmax(V e + c)[y]")
"""A cell for the exp and softplus rows of the function table."""


@given(steps=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_exp_and_softplus_equal_pytorch_autograd(steps, seed):
    model = symrnn.modelfile.model_from_text(SOFTPLUS_CELL)
    rng = np.random.default_rng(seed)
    d, m, K = 3, 4, 3
    values = {"W": rng.normal(0, 0.5, (m, d)), "U": rng.normal(0, 0.5, (m, m)), "b": rng.normal(0, 0.5, m),
              "h_0": rng.normal(0, 0.5, m), "V": rng.normal(0, 0.5, (K, m)), "c": rng.normal(0, 0.5, K),
              "x": rng.normal(0, 1, (steps, d)), "y": int(rng.integers(1, K + 1))}
    params = {k: torch.tensor(v, requires_grad=True) for k, v in values.items() if k not in ("x", "y")}
    h = params["h_0"]
    for xt in torch.tensor(values["x"]):
        h = torch.nn.functional.softplus(params["W"] @ xt + params["U"] @ h + params["b"])
    (-torch.log_softmax(params["V"] @ torch.exp(-h) + params["c"], dim=0)[values["y"] - 1]).backward()
    for name in params:
        value = symrnn.evaluate(symrnn.derive(model, steps, wrt=name), values)
        assert np.allclose(np.asarray(value.numbers), params[name].grad.numpy(), rtol=1e-9, atol=1e-12), name


def test_exp_and_softplus_check_and_compile(tmp_path):
    path = tmp_path / "softplus.yaml"
    path.write_text(SOFTPLUS_CELL, encoding="utf-8")
    latex = ok("derive", "-m", str(path), "-n", "3", "--wrt", "all", "--check", "--standalone")
    assert r"\operatorname{softplus}(" in latex and r"\exp(" in latex and r"\sigma(" in latex
    compile_latex(tmp_path, latex)
    assert "passed" in ok("derive", "-m", "elman", "-n", "3", "-g", "softplus", "--check", "-f", "markdown").lower()


def test_a_state_read_k_steps_back_equals_pytorch_autograd():
    """Skip connections through time (Deep Learning §10.9.1): h[t-3] reads h_0 at every step before the first."""
    model = symrnn.modelfile.load_model(str(MODELS / "skip-connections.yaml"))
    rng = np.random.default_rng(5)
    d, m, K, n = 2, 3, 3, 6
    values = {"U": rng.normal(0, 0.5, (m, d)), "W": rng.normal(0, 0.5, (m, m)), "W_3": rng.normal(0, 0.5, (m, m)),
              "b": rng.normal(0, 0.5, m), "h_0": rng.normal(0, 0.5, m), "V": rng.normal(0, 0.5, (K, m)),
              "c": rng.normal(0, 0.5, K), "x": rng.normal(0, 1, (n, d)), "y": [1, 3, 2, 2, 1, 3]}
    p = {k: torch.tensor(v, requires_grad=True) for k, v in values.items() if k not in ("x", "y")}
    past, total = [p["h_0"]] * 3, torch.zeros((), dtype=torch.float64)
    for t, xt in enumerate(torch.tensor(values["x"])):
        h = torch.tanh(p["U"] @ xt + p["W"] @ past[-1] + p["W_3"] @ past[-3] + p["b"])
        past.append(h)
        total = total - torch.log_softmax(p["V"] @ h + p["c"], dim=0)[values["y"][t] - 1]
    total.backward()
    for name in p:
        value = symrnn.evaluate(symrnn.derive(model, n, wrt=name), values)
        assert np.allclose(np.asarray(value.numbers), p[name].grad.numpy(), rtol=1e-10, atol=1e-13), name


def test_an_input_read_one_step_back_starts_from_its_declared_value():
    """Eq. 10.2 of the study questions: layer 1 reads x[t-1]; x_0, declared under states, is x before step 1."""
    model = symrnn.modelfile.load_model(str(MODELS / "deep-eq-10-2.yaml"))
    latex = symrnn.render(symrnn.derive(model, 2, wrt="x_0"), "latex")
    assert "W_{1} x^{(t-1)}" in latex and "x^{(0)} &= x^{0}" in latex
    assert symrnn.check(symrnn.derive(model, 3, wrt="x_0")).passed
