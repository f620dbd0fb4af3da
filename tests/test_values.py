"""Values files (``--at FILE``): symrnn.values.load_values, directly and through ``symrnn derive --at``.

The happy path checks that what was written is what is loaded, in the right shapes;
every bad file is an InputError (exit status 2 from the CLI) whose one-line message
names the file and the offending name or value.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

from symrnn.cli import cli
from symrnn.errors import InputError
from symrnn.catalogue import get_model
from symrnn.values import load_values

ELMAN = get_model("elman")
EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "examples" / "elman-values.json"
EXAMPLE: dict = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
"""Elman values for n = 3 with d = 2, m = 2, K = 3 and y = 2."""


def changed(**entries: object) -> dict:
    """The example values with some entries replaced (or added)."""
    data = copy.deepcopy(EXAMPLE)
    data.update(entries)
    return data


def without(name: str) -> dict:
    """The example values with one entry left out."""
    data = copy.deepcopy(EXAMPLE)
    del data[name]
    return data


def write(folder: Path, text: str, suffix: str = ".json") -> Path:
    """A values file holding ``text``."""
    path = folder / f"values{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def at(path: Path, *options: str) -> Result:
    """``symrnn derive -g tanh -n 3 --at PATH`` (plus options), run in-process."""
    args = ["derive", "-n", "3", "-g", "tanh", "--at", str(path), *options]
    return CliRunner().invoke(cli, args, prog_name="symrnn")


# ---------------------------------------------------------------- happy path


def test_json_values_load_as_written():
    instance = load_values(str(EXAMPLE_FILE), ELMAN, 3)
    assert instance.sizes == {"d": 2, "m": 2, "K": 3}
    assert instance.labels == {"y": 2}
    assert set(instance.arrays) == {"W_hx", "W_hh", "b_h", "h_0", "V", "gamma", "x"}
    for name, array in instance.arrays.items():
        assert array.dtype == np.float64, name
        np.testing.assert_array_equal(array, np.array(EXAMPLE[name], dtype=float), err_msg=name)


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_yaml_values_equal_the_same_values_in_json(tmp_path, suffix):
    path = write(tmp_path, yaml.safe_dump(EXAMPLE), suffix)
    from_yaml = load_values(str(path), ELMAN, 3)
    from_json = load_values(str(EXAMPLE_FILE), ELMAN, 3)
    assert from_yaml.sizes == from_json.sizes
    assert from_yaml.labels == from_json.labels
    for name in from_json.arrays:
        np.testing.assert_array_equal(from_yaml.arrays[name], from_json.arrays[name], err_msg=name)


def test_sizes_are_read_off_the_arrays(tmp_path):
    # d = 3, m = 2, K = 4, n = 2: every dimension different, so a swapped one shows.
    rng = np.random.default_rng(5)
    data = {"W_hx": rng.normal(size=(2, 3)), "W_hh": rng.normal(size=(2, 2)), "b_h": rng.normal(size=2),
            "h_0": rng.normal(size=2), "V": rng.normal(size=(4, 2)), "gamma": rng.normal(size=4),
            "x": rng.normal(size=(2, 3))}
    text = json.dumps({**{name: value.tolist() for name, value in data.items()}, "y": 4})
    instance = load_values(str(write(tmp_path, text)), ELMAN, 2)
    assert instance.sizes == {"d": 3, "m": 2, "K": 4}
    assert instance.labels == {"y": 4}
    for name, value in data.items():
        assert instance.arrays[name].shape == value.shape, name
        np.testing.assert_array_equal(instance.arrays[name], value, err_msg=name)


def test_integers_are_numbers_and_k_can_be_one(tmp_path):
    data = changed(V=[[1, 2]], gamma=[0], y=1, h_0=[0, 1])
    instance = load_values(str(write(tmp_path, json.dumps(data))), ELMAN, 3)
    assert instance.sizes["K"] == 1
    assert instance.arrays["h_0"].dtype == np.float64
    np.testing.assert_array_equal(instance.arrays["h_0"], [0.0, 1.0])


def elman_loss(values: dict) -> float:
    """o = -log softmax(V h^{(n)} + γ)_y with h^{(t)} = tanh(W^{hx}x^{(t)} + W^{hh}h^{(t-1)} + b^h), in numpy."""
    hidden = np.asarray(values["h_0"], dtype=float)
    for x in np.asarray(values["x"], dtype=float):
        hidden = np.tanh(np.asarray(values["W_hx"]) @ x + np.asarray(values["W_hh"]) @ hidden + values["b_h"])
    logits = np.asarray(values["V"]) @ hidden + values["gamma"]
    return float(np.log(np.sum(np.exp(logits))) - logits[values["y"] - 1])


def finite_difference(values: dict, name: str, step: float = 1e-6) -> np.ndarray:
    """Central differences of elman_loss with respect to one parameter, entry by entry."""
    base = np.asarray(values[name], dtype=float)
    gradient = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[index] += step
        down[index] -= step
        gradient[index] = (elman_loss({**values, name: up}) - elman_loss({**values, name: down})) / (2 * step)
    return gradient


@pytest.mark.parametrize("wrt", ["W_hx", "W_hh", "b_h", "h_0", "V", "gamma"])
def test_at_gives_the_gradient_at_those_values(wrt):
    result = at(EXAMPLE_FILE, "--wrt", wrt, "-f", "json")
    assert result.exit_code == 0, result.stderr
    value = json.loads(result.stdout)["value"]
    expected = finite_difference(EXAMPLE, wrt)
    assert value["shape"] == list(expected.shape)
    np.testing.assert_allclose(np.array(value["values"]), expected, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- bad files

BAD_FILES = [
    # (id, file text, suffix, words the message must contain)
    ("unknown-name", json.dumps(changed(W_xx=1.0)), ".json", ["unknown name 'W_xx'"]),
    ("missing-name", json.dumps(without("V")), ".json", ["V missing"]),
    ("missing-label", json.dumps(without("y")), ".json", ["y missing"]),
    ("wrong-rank", json.dumps(changed(W_hx=[0.5, -0.3])), ".json", ["W_hx must be", "m x d"]),
    ("scalar-for-vector", json.dumps(changed(gamma=0.5)), ".json", ["gamma must be", "shape K", "not a number"]),
    ("sizes-disagree", json.dumps(changed(W_hh=[[0.0] * 3] * 3)), ".json", ["W_hh has m = 3", "W_hx has m = 2"]),
    ("input-width", json.dumps(changed(x=[[1.0, 0.0, 0.0]] * 3)), ".json", ["x has d = 3", "W_hx has d = 2"]),
    ("ragged-matrix", json.dumps(changed(W_hx=[[0.5, -0.3], [0.1]])), ".json", ["W_hx is ragged", "m x d"]),
    ("ragged-input", json.dumps(changed(x=[[1.0, 0.0], [0.0], [0.5, -0.5]])), ".json", ["x is ragged"]),
    ("boolean-entry", json.dumps(changed(b_h=[True, 0.0])), ".json", ["b_h holds True", "finite number"]),
    ("string-entry", json.dumps(changed(gamma=["0.1", 0.0, -0.1])), ".json", ["gamma holds '0.1'", "finite number"]),
    ("null-entry", json.dumps(changed(h_0=[None, 0.0])), ".json", ["h_0 holds None"]),
    ("nan-entry", json.dumps(changed(V=[[math.nan, 0.0], [0.0, 0.0], [0.0, 0.0]])), ".json", ["V holds nan"]),
    ("boolean-label", json.dumps(changed(y=True)), ".json", ["y is True", "integer from 1 to K = 3"]),
    ("string-label", json.dumps(changed(y="2")), ".json", ["y is '2'", "integer from 1 to K = 3"]),
    ("float-label", json.dumps(changed(y=2.5)), ".json", ["y is 2.5", "integer from 1 to K = 3"]),
    ("label-0", json.dumps(changed(y=0)), ".json", ["y is 0", "from 1 to K = 3", "numbered from 1"]),
    ("label-K+1", json.dumps(changed(y=4)), ".json", ["y is 4", "from 1 to K = 3"]),
    ("too-few-rows", json.dumps(changed(x=EXAMPLE["x"][:2])), ".json", ["x has 2 rows", "--steps is 3"]),
    ("too-many-rows", json.dumps(changed(x=EXAMPLE["x"] + [[0.0, 0.0]])), ".json", ["x has 4 rows", "--steps is 3"]),
    ("input-not-a-list", json.dumps(changed(x=1.0)), ".json", ["x has no rows", "--steps is 3"]),
    ("malformed-json", '{"W_hx": [[0.5, -0.3],', ".json", ["not valid JSON", "line 1"]),
    ("malformed-yaml", "W_hx: [[0.5, -0.3]\nb_h: : :\n", ".yaml", ["not valid YAML", "line"]),
    ("yaml-in-a-json-file", yaml.safe_dump(EXAMPLE), ".json", ["not valid JSON"]),
    ("json-list", "[1, 2, 3]", ".json", ["must hold a mapping"]),
    ("json-number", "3", ".json", ["must hold a mapping"]),
    ("yaml-list", "- 1\n- 2\n", ".yml", ["must hold a mapping"]),
    ("empty-yaml", "", ".yaml", ["must hold a mapping"]),
]


@pytest.mark.parametrize("text, suffix, needles", [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_file_is_an_input_error_naming_the_problem(tmp_path, text, suffix, needles):
    path = write(tmp_path, text, suffix)
    with pytest.raises(InputError) as caught:
        load_values(str(path), ELMAN, 3)
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert "\n" not in message
    assert str(path) in message
    for needle in needles:
        assert needle in message


@pytest.mark.parametrize("text, suffix, needles", [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_file_through_the_cli_is_one_error_line_with_status_2(tmp_path, text, suffix, needles):
    path = write(tmp_path, text, suffix)
    result = at(path)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in [str(path), *needles]:
        assert needle in lines[0]


@pytest.mark.parametrize("name", ["absent.json", "absent.yaml"])
def test_missing_file_is_an_input_error_naming_it(tmp_path, name):
    path = tmp_path / name
    with pytest.raises(InputError, match="cannot read values file .*No such file") as caught:
        load_values(str(path), ELMAN, 3)
    assert str(path) in str(caught.value)
    result = at(path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {caught.value}\n"


@pytest.mark.parametrize("content", ["folder", "latin-1"])
def test_unreadable_file_is_an_input_error(tmp_path, content):
    path = tmp_path / "values.json"
    if content == "folder":
        path.mkdir()
    else:
        path.write_bytes('{"y": "\xe9"}'.encode("latin-1"))
    with pytest.raises(InputError, match="cannot read values file") as caught:
        load_values(str(path), ELMAN, 3)
    assert str(path) in str(caught.value)


def test_an_integer_too_large_for_a_float_is_an_input_error(tmp_path):
    path = write(tmp_path, json.dumps(EXAMPLE).replace("0.05", "1" + "0" * 400))
    with pytest.raises(InputError, match="b_h"):
        load_values(str(path), ELMAN, 3)


def test_yaml_reads_exponents_without_a_dot_as_numbers(tmp_path):
    text = yaml.safe_dump(EXAMPLE).replace("0.05", "5e-2")
    assert "5e-2" in text
    instance = load_values(str(write(tmp_path, text, ".yaml")), ELMAN, 3)
    assert instance.arrays["b_h"][0] == 0.05


@pytest.mark.parametrize("suffix, text", [
    (".json", json.dumps(EXAMPLE)[:-1] + ', "y": 1}'),
    (".yaml", yaml.safe_dump(EXAMPLE) + "y: 1\n"),
])
def test_a_name_given_twice_is_an_input_error(tmp_path, suffix, text):
    with pytest.raises(InputError, match="'y' is given twice"):
        load_values(str(write(tmp_path, text, suffix)), ELMAN, 3)


def test_values_that_overflow_the_forward_pass_are_one_error_line_with_status_1(tmp_path):
    huge = changed(W_hx=[[1e300, 1e300], [1e300, 1e300]], W_hh=[[1e300, 1e300], [1e300, 1e300]])
    result = CliRunner().invoke(cli, ["derive", "-n", "3", "-g", "identity", "--at",
                                      str(write(tmp_path, json.dumps(huge))), "-f", "json"], prog_name="symrnn")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "not finite" in lines[0]
