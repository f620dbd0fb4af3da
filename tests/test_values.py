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
from hypothesis import given
from hypothesis import strategies as st

from symrnn import values
from symrnn.catalogue import get_model
from symrnn.cli import cli
from symrnn.errors import InputError
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


# ---------------------------------------------------------------- hostile files: limits, aliases, keys


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """"Billion laughs": each anchor a list of `width` aliases of the one before, 9^9 entries in 600 bytes."""
    lines = ["a0: &a0 [" + ", ".join(["1"] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_is_small():
    assert len(alias_bomb()) < 700
    assert yaml.compose(alias_bomb(), Loader=yaml.SafeLoader) is not None  # valid YAML: it is refused by size


HOSTILE_FILES = [
    # (id, file text, suffix, words the message must contain)
    ("alias-bomb", alias_bomb(), ".yaml", ["aliases", "more than 4,194,304 entries", "the limit", "write the values"]),
    ("recursive-alias", "x: &a [1, *a]\n", ".yaml", ["line 1", "alias of itself", "infinite", "remove that alias"]),
    ("recursive-merge", "x: &a {<<: *a}\n", ".yaml", ["alias", "infinite"]),
    ("json-100000-deep", "[" * 100_000 + "]" * 100_000, ".json", ["more than 32 levels deep", "the limit"]),
    ("json-100000-deep-unclosed", '{"x": ' + "[" * 100_000, ".json", ["more than 32 levels deep"]),
    ("json-33-deep", json.dumps(changed(x=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1.0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])),
     ".json", ["more than 32 levels deep"]),
    ("yaml-2000-deep-flow", "x: " + "[" * 2000 + "]" * 2000 + "\n", ".yaml", ["more than 32 levels deep"]),
    ("yaml-2000-deep-unclosed", "x: " + "[" * 2000 + "\n", ".yaml", ["more than 32 levels deep"]),
    ("yaml-500-deep-block", "".join("  " * i + "- \n" for i in range(500)), ".yaml", ["more than 32 levels deep"]),
    ("yaml-40-deep-mapping", "".join("  " * i + f"k{i}:\n" for i in range(40)), ".yaml", ["more than 32 levels"]),
    ("yaml-deep-through-aliases", "a: &a " + "[" * 20 + "1" + "]" * 20 + "\nx: " + "[" * 20 + "*a" + "]" * 20 + "\n",
     ".yaml", ["more than 32 levels deep"]),
    ("complex-key-list", "? [1, 2]\n: 3\n", ".yaml", ["line 1", "keys must be names (strings)", "not a list"]),
    ("complex-key-mapping", "? {a: 1}\n: 3\n", ".yaml", ["keys must be names (strings)", "not a mapping"]),
    ("complex-key-alias", "a: &k [1]\n? *k\n: 3\n", ".yaml", ["keys must be names", "not a list"]),
    ("int-key", "1: 2\n", ".yaml", ["keys must be names (strings)", "not 1 (which YAML reads as int)", "quoted"]),
    ("null-key", "null: 3\n", ".yaml", ["keys must be names", "not null (which YAML reads as null)"]),
    ("empty-key", "? \n: 3\n", ".yaml", ["keys must be names", "not an empty key (which YAML reads as null)"]),
    ("bool-key", "true: 1\n", ".yaml", ["keys must be names", "not true (which YAML reads as bool)"]),
    ("float-key", "5e-2: 1\n", ".yaml", ["keys must be names", "not 5e-2 (which YAML reads as float)"]),
    ("int-key-late", yaml.safe_dump(EXAMPLE) + "3: 1\n", ".yaml", ["line 36", "not 3 (which YAML reads as int)"]),
    ("merge-then-twice", "<<: {W_hx: 1}\ny: 1\ny: 2\n", ".yaml", ["line 3", "'y' is given twice", "once"]),
    ("twice-in-merged", "<<: {y: 1, y: 2}\n", ".yaml", ["'y' is given twice"]),
    ("merge-of-a-number", "<<: 3\n", ".yaml", ["not valid YAML", "merging", "line 1"]),
    ("python-tag", "x: !!python/object/apply:os.system ['true']\n", ".yaml", ["not valid YAML", "python/object"]),
    ("two-documents", "y: 1\n---\ny: 2\n", ".yaml", ["not valid YAML", "single document"]),
    ("json-nan-literal", json.dumps(EXAMPLE).replace("0.05", "NaN"), ".json", ["b_h holds nan", "finite number"]),
    ("huge-json-integer", json.dumps(EXAMPLE).replace("0.05", "9" * 5000), ".json", ["not valid JSON"]),
    ("huge-yaml-integer", yaml.safe_dump(EXAMPLE).replace("0.05", "9" * 5000), ".yaml", ["not valid YAML"]),
    ("unterminated-json-string", '{"W_hx' + '\\"[' * 1000, ".json", ["not valid JSON"]),
    ("control-character-yaml", "y: \x00\n", ".yaml", ["not valid YAML", "unacceptable character"]),
    ("nul-json", "\x00", ".json", ["not valid JSON"]),
]
"""Files written to do harm, or by accident: each an InputError of one line, fast, in bounded memory."""


@pytest.mark.parametrize("text, suffix, needles", [case[1:] for case in HOSTILE_FILES],
                         ids=[c[0] for c in HOSTILE_FILES])
def test_hostile_file_is_an_input_error_naming_the_problem(tmp_path, text, suffix, needles):
    test_bad_file_is_an_input_error_naming_the_problem(tmp_path, text, suffix, needles)


@pytest.mark.parametrize("text, suffix, needles", [case[1:] for case in HOSTILE_FILES],
                         ids=[c[0] for c in HOSTILE_FILES])
def test_hostile_file_through_the_cli_is_one_error_line_with_status_2(tmp_path, text, suffix, needles):
    test_bad_file_through_the_cli_is_one_error_line_with_status_2(tmp_path, text, suffix, needles)


def test_brackets_inside_json_strings_are_not_nesting(tmp_path):
    name = '[{\\"' + "[" * 100 + "}"  # a (wrong) name full of brackets and an escaped quote
    text = json.dumps(EXAMPLE)[:-1] + f', "{name}": 1}}'
    with pytest.raises(InputError, match="unknown name") as caught:
        load_values(str(write(tmp_path, text)), ELMAN, 3)
    assert len(str(caught.value)) < 400  # the name is shown cut short


def test_a_32_level_yaml_value_is_measured_not_refused_for_depth(tmp_path):
    text = yaml.safe_dump(EXAMPLE) + "extra: " + "[" * 31 + "1" + "]" * 31 + "\n"  # 32 levels with the mapping
    with pytest.raises(InputError, match="unknown name 'extra'"):
        load_values(str(write(tmp_path, text, ".yaml")), ELMAN, 3)


def test_values_shared_through_aliases_still_load(tmp_path):
    text = ("W_hx: &square [[0.5, -0.3], [0.1, 0.8]]\nW_hh: *square\nb_h: &pair [0.05, -0.1]\nh_0: *pair\n"
            "V: [[1.0, -0.5], [0.3, 0.7], [-0.6, 0.2]]\ngamma: [0.1, 0.0, -0.1]\nx: [*pair, *pair, *pair]\ny: 2\n")
    instance = load_values(str(write(tmp_path, text, ".yaml")), ELMAN, 3)
    np.testing.assert_array_equal(instance.arrays["W_hh"], EXAMPLE["W_hx"])
    np.testing.assert_array_equal(instance.arrays["x"], [EXAMPLE["b_h"]] * 3)


MERGED = """\
<<: [{W_hx: [[0.5, -0.3], [0.1, 0.8]], b_h: [9, 9]}, {W_hh: [[0.2, -0.4], [0.6, 0.1]], W_hx: 7}]
b_h: [0.05, -0.1]
h_0: [0.0, 0.0]
V: [[1.0, -0.5], [0.3, 0.7], [-0.6, 0.2]]
gamma: [0.1, 0.0, -0.1]
x: [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]]
y: 2
"""
"""The example through YAML merge keys: b_h written here overrides the merged 9s, and the first
merged W_hx wins over the second, as YAML's merge rules say."""


def test_merge_keys_give_the_same_values_as_the_expanded_file(tmp_path):
    instance = load_values(str(write(tmp_path, MERGED, ".yaml")), ELMAN, 3)
    expected = load_values(str(EXAMPLE_FILE), ELMAN, 3)
    assert instance.sizes == expected.sizes and instance.labels == expected.labels
    for name in expected.arrays:
        np.testing.assert_array_equal(instance.arrays[name], expected.arrays[name], err_msg=name)
    merged, expanded = at(write(tmp_path, MERGED, ".yaml"), "-f", "json"), at(EXAMPLE_FILE, "-f", "json")
    assert merged.exit_code == 0, merged.stderr
    assert json.loads(merged.stdout)["value"] == json.loads(expanded.stdout)["value"]


def test_dev_zero_stops_at_the_byte_limit():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(InputError) as caught:
        load_values("/dev/zero", ELMAN, 3)
    assert str(caught.value) == ("/dev/zero is larger than the limit for a values file, 16 MiB (16,777,216 bytes); "
                                 "use smaller sizes (d, m, K) or fewer --steps")
    result = at(Path("/dev/zero"))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {caught.value}\n"


@pytest.mark.parametrize("suffix, constant", [(".json", "MAX_VALUES_BYTES"), (".yaml", "MAX_YAML_BYTES")])
def test_a_file_over_the_byte_limit_is_refused_and_one_at_it_is_read(tmp_path, monkeypatch, suffix, constant):
    text = json.dumps(EXAMPLE)  # JSON is YAML too
    monkeypatch.setattr(values, constant, len(text.encode()) + 10)
    at_limit = load_values(str(write(tmp_path, text + " " * 10, suffix)), ELMAN, 3)
    assert at_limit.labels == {"y": 2}
    path = write(tmp_path, text + " " * 11, suffix)
    with pytest.raises(InputError) as caught:
        load_values(str(path), ELMAN, 3)
    message = str(caught.value)
    assert message.startswith(f"{path} is larger than the limit for a")
    assert f"{len(text) + 10:,} bytes" in message and "fewer --steps" in message
    assert ("as JSON" in message) == (suffix == ".yaml")
    result = at(path)
    assert result.exit_code == 2 and result.stderr == f"Error: {message}\n"


def test_the_limits_are_documented_figures():
    from symrnn import limits

    assert limits.MAX_VALUES_BYTES == 16 * 2**20
    assert limits.MAX_YAML_BYTES == 2**20
    assert limits.MAX_VALUES_DEPTH == 32
    assert limits.MAX_VALUES_ENTRIES == 4 * 2**20


def test_non_utf8_bytes_are_named(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_bytes(b"y: 1\nW_hx: \xff\xfe\n")
    with pytest.raises(InputError) as caught:
        load_values(str(path), ELMAN, 3)
    assert str(caught.value) == (f"cannot read values file {path}: byte 0xff at offset 11 is not UTF-8; "
                                 f"save the file as UTF-8 text")
    assert at(path).exit_code == 2


def test_a_utf8_byte_order_mark_is_allowed(tmp_path):
    path = tmp_path / "values.json"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE_FILE.read_bytes())
    assert load_values(str(path), ELMAN, 3).labels == {"y": 2}


def test_a_directory_is_not_a_values_file(tmp_path):
    with pytest.raises(InputError) as caught:
        load_values(str(tmp_path), ELMAN, 3)
    assert str(caught.value) == (f"cannot read values file {tmp_path}: Is a directory; give the path of a readable "
                                 f"JSON or YAML file")
    result = at(tmp_path)
    assert result.exit_code == 2 and result.stderr == f"Error: {caught.value}\n"


def test_an_empty_path_asks_for_a_file_name():
    with pytest.raises(InputError, match="^--at needs a file name: give the path of a JSON or YAML values file"):
        load_values("", ELMAN, 3)
    result = CliRunner().invoke(cli, ["derive", "-n", "3", "-g", "tanh", "--at", ""], prog_name="symrnn")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "--at" in result.stderr


def test_a_path_with_a_newline_is_shown_on_one_line(tmp_path):
    path = tmp_path / "two\nlines.json"
    with pytest.raises(InputError) as caught:
        load_values(str(path), ELMAN, 3)
    assert "\n" not in str(caught.value) and repr(str(path)) in str(caught.value)


def test_a_long_bad_entry_is_shown_cut_short(tmp_path):
    path = write(tmp_path, json.dumps(changed(b_h=["x" * 100_000, 0.0], y="y" * 100_000)))
    with pytest.raises(InputError, match="b_h holds 'xxx") as caught:
        load_values(str(path), ELMAN, 3)
    assert len(str(caught.value)) < 300


# ---------------------------------------------------------------- property: mutated files


VALID_TEXTS = {".json": EXAMPLE_FILE.read_text(encoding="utf-8"), ".yaml": yaml.safe_dump(EXAMPLE)
               + "<<: {}\n", ".yml": yaml.safe_dump(EXAMPLE, default_flow_style=True)}
"""Valid values files to mutate: JSON, block YAML with a merge key, flow YAML."""

PIECES = [b"[", b"]", b"{", b"}", b'"', b"\\", b"&a ", b"*a", b"<<: ", b"? ", b": ", b"- ", b"!!", b"\n", b"\t",
          b",", b"\xff", b"\xc3", b"\x00", b"1e999", b"-", b"y", b"null", b"true", b"'", b"#", b"|", b">", b"%", b"---"]
"""Bytes that mean something to a JSON or YAML parser, so that mutations reach past the first check."""

mutation = st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.floats(0, 1),
                     st.one_of(st.sampled_from(PIECES), st.binary(min_size=1, max_size=4)), st.integers(1, 8))


def mutate(data: bytes, edits: list) -> bytes:
    """The bytes with each edit applied: insert a piece, delete a run, or replace a run with a piece."""
    for kind, where, piece, length in edits:
        at_ = int(where * len(data))
        if kind == "insert":
            data = data[:at_] + piece + data[at_:]
        elif kind == "delete":
            data = data[:at_] + data[at_ + length:]
        else:
            data = data[:at_] + piece + data[at_ + length:]
    return data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutated")


@given(suffix=st.sampled_from(sorted(VALID_TEXTS)), edits=st.lists(mutation, min_size=1, max_size=6))
def test_a_mutated_values_file_loads_or_is_one_input_error_line(scratch, suffix, edits):
    path = scratch / f"values{suffix}"
    path.write_bytes(mutate(VALID_TEXTS[suffix].encode(), edits))
    try:
        load_values(str(path), ELMAN, 3)
    except InputError as error:
        assert "\n" not in str(error) and str(path) in str(error), str(error)
        assert len(str(error)) < 500, str(error)
