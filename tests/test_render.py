"""Rendered output: golden files, and every standalone document through a real pdflatex.

Regenerate the golden files after an intended change, then review the diff:

    SYMRNN_REGENERATE=1 python -m pytest tests/test_render.py
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from symrnn.api import derivation_document, document
from symrnn.catalogue import MODELS, get_model
from symrnn.graph import unroll
from symrnn.paths import count_paths
from symrnn.render import digits, render

from conftest import ELMAN_PARAMETERS, REGENERATE, pdflatex

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).parent.parent / "examples"
VALUES = str(EXAMPLES / "elman-values.json")

GOLDEN_CASES = {
    "elman-n3.tex": dict(fmt="latex", standalone=False, options={}),
    "elman-n3-document.tex": dict(fmt="latex", standalone=True, options={}),
    "elman-n3.md": dict(fmt="markdown", standalone=False, options={}),
    "elman-n3.json": dict(fmt="json", standalone=False, options={}),
    "elman-n3-tanh-at.md": dict(fmt="markdown", standalone=False,
                                options={"activation": "tanh", "values": VALUES}),
    "elman-n5-W_hh-relu.md": dict(fmt="markdown", standalone=False,
                                  options={"steps": 5, "wrt": "W_hh", "activation": "relu"}),
    "elman-n3-all.tex": dict(fmt="latex", standalone=False, options={"wrt": "all"}),
    "elman-n3-all.json": dict(fmt="json", standalone=False, options={"wrt": "all"}),
}


def rendered(fmt: str, standalone: bool, options: dict) -> str:
    """What ``symrnn derive --model elman`` prints for these options."""
    settings = {"steps": 3, **options}
    return render(derivation_document("elman", **settings), fmt, standalone)


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_output_equals_golden_file(name):
    text = rendered(**GOLDEN_CASES[name])
    golden = GOLDEN / name
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {name}: run SYMRNN_REGENERATE=1 python -m pytest tests/test_render.py"
    assert text == golden.read_text(encoding="utf-8")


def test_json_carries_the_contract_keys():
    data = json.loads(rendered("json", False, {}))
    assert {"model", "steps", "wrt", "loss", "path_count", "paths", "gradient", "value", "check"} <= set(data)
    assert data["path_count"] == len(data["paths"]) == 3
    assert data["paths"][2]["nodes"] == ["W_hx", "h[3]", "l", "q", "o"]
    assert all(path["latex"] for path in data["paths"])
    assert data["gradient"]["latex"] and data["value"] is None and data["check"] is None


def test_output_names_no_sympy_internals():
    for wrt in ELMAN_PARAMETERS:
        text = rendered("latex", True, {"steps": 4, "wrt": wrt})
        for internal in ("PermuteDims", "ArrayDiagonal", "DiagMatrix", "ArrayContraction", "Dummy", "MatrixSymbol"):
            assert internal not in text


COMPILED = [
    (1, "W_hx", "g", False, False),
    (2, "h_0", "sigmoid", False, False),
    (3, "W_hx", "g", True, False),
    (3, "W_hh", "tanh", True, True),
    (3, "b_h", "relu", False, True),
    (4, "b_h", "relu", False, False),
    (5, "V", "identity", True, False),
    (6, "gamma", "tanh", False, False),
    (8, "W_hx", "relu", True, False),
    (8, "x[3]", "g", False, False),
    (12, "W_hh", "tanh", False, False),
]


def compile_latex(folder, text: str) -> str:
    """Compile a document with pdflatex; the log, after asserting it compiled cleanly."""
    engine = pdflatex()
    source = folder / "derivation.tex"
    source.write_text(text, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", source.name],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    log = (folder / "derivation.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert (folder / "derivation.pdf").stat().st_size > 1000
    assert "Undefined control sequence" not in log
    assert "Overfull \\hbox" not in log, "a line runs past the margin"
    return log


@pytest.mark.parametrize("steps, wrt, activation, check, at", COMPILED)
def test_standalone_document_compiles(tmp_path, steps, wrt, activation, check, at):
    doc = document("elman", steps, wrt=wrt, activation=activation, check=check, values=VALUES if at else None)
    compile_latex(tmp_path, render(doc, "latex", standalone=True))


@pytest.mark.parametrize("steps", range(1, 6))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_compiles_up_to_five_steps(tmp_path, name, steps):
    compile_latex(tmp_path, render(document(name, steps), "latex", standalone=True))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_parameter_of_every_model_compiles_with_its_check(tmp_path, name):
    for wrt in get_model(name).param_names:
        if count_paths(unroll(get_model(name), 2), wrt, get_model(name).loss):
            compile_latex(tmp_path, render(document(name, 2, wrt=wrt, check=True), "latex", standalone=True))


def test_long_counts_are_grouped_in_threes_and_may_break():
    assert digits(7) == "7" and digits(4096) == "4096"
    assert digits(1234567).split(r"\hspace{0.16667em plus 0.16667em}") == ["1", "234", "567"]
    assert digits(123456).split(r"\hspace{0.16667em plus 0.16667em}") == ["123", "456"]


def test_a_count_of_over_a_hundred_digits_stays_inside_the_margin(tmp_path):
    doc = document("gru", 200)
    assert len(str(doc.path_count)) > 100
    compile_latex(tmp_path, render(doc, "latex", standalone=True))
