"""The public Python API (``import symrnn``): the same results as the command line, keyword-only options."""

from __future__ import annotations

import json

import numpy as np
import pytest

import symrnn
from helpers import VALUES, ok


def test_every_name_in_all_exists():
    assert all(hasattr(symrnn, name) for name in symrnn.__all__)


def test_derive_check_evaluate_render_equal_what_the_command_prints():
    result = symrnn.derive("elman", 3, activation="tanh")
    report, value = symrnn.check(result, seed=0), symrnn.evaluate(result, VALUES)
    assert isinstance(result, symrnn.Derivation) and report.passed
    text = symrnn.render(result, "json", check=report, value=value)
    assert text == ok("derive", "-n", "3", "-g", "tanh", "--check", "--at", VALUES, "-f", "json")
    assert symrnn.render(symrnn.document("elman", 3, activation="tanh", check=True, values=VALUES), "json") == text


def test_the_whole_gradient_is_a_gradient_with_a_report_per_part():
    result = symrnn.derive("gru", 3, wrt="all")
    reports = symrnn.check(result)
    assert isinstance(result, symrnn.Gradient) and len(reports) == len(result.parts) == 12  # with h_0, V, gamma
    assert all(r.passed for r in reports)
    text = symrnn.render(result, "latex", standalone=True, check=reports)
    assert text == ok("derive", "-m", "gru", "-n", "3", "--wrt", "all", "--check", "--standalone")


def test_values_may_be_a_mapping_of_numpy_arrays():
    data = json.loads(open(VALUES, encoding="utf-8").read())
    arrays = {name: np.array(value) if isinstance(value, list) else value for name, value in data.items()}
    result = symrnn.derive("elman", 3, wrt="W_hh", activation="tanh")
    assert symrnn.evaluate(result, arrays) == symrnn.evaluate(result, VALUES)


def test_a_model_object_derives_as_its_name_does():
    by_object = symrnn.derive(symrnn.get_model("lstm"), 2, form="factored")
    assert symrnn.render(by_object, "markdown") == symrnn.render(symrnn.derive("lstm", 2, form="factored"), "markdown")


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        symrnn.derive("elman", 3, "W_hh")
    with pytest.raises(TypeError):
        symrnn.render(symrnn.derive("elman", 2), "latex", True)


@pytest.mark.parametrize("call, words", [
    (lambda: symrnn.check("elman"), "expected what symrnn.derive returns, not str"),
    (lambda: symrnn.evaluate(symrnn.derive("elman", 2, activation="tanh"), 3), "values must be a mapping"),
    (lambda: symrnn.evaluate(symrnn.derive("elman", 2), VALUES), "--at needs numbers for g"),
    (lambda: symrnn.derive(symrnn.get_model("elman"), 2, layers=2), "build the Model you want instead"),
    (lambda: symrnn.render(symrnn.document("elman", 2), check=symrnn.check(symrnn.derive("elman", 2))),
     "a document already holds its check"),
])
def test_misuse_is_one_line_input_error(call, words):
    with pytest.raises(symrnn.InputError) as caught:
        call()
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_load_model_reads_a_path_or_the_text_of_a_file(tmp_path):
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "catalogue" / "elman.yaml"
    from_path, from_text = symrnn.load_model(path), symrnn.load_model(path.read_text(encoding="utf-8"))
    assert from_path == from_text == symrnn.load_model(str(path))
    assert symrnn.render(symrnn.derive(from_text, 3), "json") == symrnn.render(symrnn.derive("elman", 3), "json")
    with pytest.raises(symrnn.InputError, match="load_model takes a path or the text"):
        symrnn.load_model(3)
