"""The command line's contract under random use: whatever the options and values files, the exit status is
0, 1 or 2, an error is one line on stderr with no traceback, and an ``-o`` target is either untouched or
complete with the right mode.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from symrnn.cli import cli

EXAMPLE_VALUES = json.loads((Path(__file__).resolve().parent.parent / "examples" / "elman-values.json").read_text())

OPTION_VALUES = {
    "--model": ["elman", "gru", "lstm", "deng", "goodfellow", "scalar", "birnn", "stacked", "zz", ""],
    "--steps": ["1", "2", "3", "0", "-1", "201", "x", ""],
    "--wrt": ["W_hx", "all", "h[1]", "x[2]", "h[0]", "zzz", "", "o", "W[0,0]"],
    "--loss": ["o", "L", "l", "L[1]", "", "q"],
    "--activation": ["g", "tanh", "relu", "relu-active", "softplus", "swish", ""],
    "--format": ["latex", "markdown", "json", "docx", ""],
    "--form": ["auto", "paths", "factored", "both", "zz"],
    "--seed": ["0", "7", "-1", "4294967296", "x"],
    "--layers": ["1", "2", "9", "0", "x"],
    "--position": ["1", "2", "5", "0"],
    "--readout": ["final", "every", "zz"],
    "--max-paths": ["1", "3", "0", "25001"],
}
FLAGS = ["--check", "--standalone"]


@st.composite
def command_lines(draw) -> list[str]:
    """``derive`` with a random handful of options, valid and invalid values alike."""
    names = draw(st.lists(st.sampled_from(sorted(OPTION_VALUES)), max_size=4, unique=True))
    args = ["derive"]
    for name in names:
        args += [name, draw(st.sampled_from(OPTION_VALUES[name]))]
    args += draw(st.lists(st.sampled_from(FLAGS), max_size=2, unique=True))
    return args


def _values_entries() -> st.SearchStrategy:
    leaf = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30), st.booleans(),
                     st.none(), st.text(max_size=3))
    return st.recursive(leaf, lambda inner: st.lists(inner, max_size=4), max_leaves=12)


@st.composite
def values_files(draw) -> str:
    """The example values file with some entries replaced, removed or added: JSON text."""
    data = dict(EXAMPLE_VALUES)
    for name in draw(st.lists(st.sampled_from(sorted(data)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del data[name]
        else:
            data[name] = draw(_values_entries())
    if draw(st.booleans()):
        data[draw(st.text(min_size=1, max_size=4))] = 1.0
    return json.dumps(data)


def assert_contract(result, target: Path | None = None, before: bytes | None = None) -> None:
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    if target is not None and result.exit_code != 0:
        assert (target.read_bytes() if target.exists() else None) == before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=command_lines())
def test_random_options_keep_the_contract(tmp_path_factory, args):
    folder = tmp_path_factory.mktemp("out")
    target = folder / "out.tex"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    result = CliRunner().invoke(cli, args + ["-o", str(target)], prog_name="symrnn")
    event(f"exit {result.exit_code}")
    assert_contract(result, target, b"old\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["out.tex"]
    if result.exit_code == 0:
        assert target.read_bytes() != b"old\n"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=values_files(), suffix=st.sampled_from([".json", ".yaml"]))
def test_random_values_files_keep_the_contract(tmp_path_factory, text, suffix):
    path = tmp_path_factory.mktemp("values") / f"values{suffix}"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["derive", "-n", "3", "-g", "tanh", "--at", str(path), "-f", "json"],
                                prog_name="symrnn")
    event(f"exit {result.exit_code}")
    assert_contract(result)
    if result.exit_code == 0:
        value = json.loads(result.stdout, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        assert value["value"]["shape"] == [2, 2]  # W_hx: m x d
