"""The command line (symrnn.cli), through click's CliRunner and, where the process matters, a subprocess.

Contracts (README, "Errors and limits"): exit 0 success, 1 a failed derivation or check, 2 bad usage or
input; every error one line on stderr, no traceback, never a partly written file;
byte-identical output whatever the hash seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

import symrnn
from helpers import VALUES, derive_json, error_line, ok, run
from symrnn.catalogue import MODELS
from symrnn.cli import MAX_STEPS

ACTIVATIONS = ["tanh", "sigmoid", "relu", "identity"]


def test_this_click_keeps_stderr_apart():
    assert tuple(int(part) for part in version("click").split(".")[:2]) >= (8, 2)
    result = run("derive", "-m", "nosuch")
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")


# ---------------------------------------------------------------- derive, option by option


@pytest.mark.parametrize("flag", ["--model", "-m"])
def test_model(flag):
    data = derive_json(flag, "elman", "-n", "2")
    assert data["model"] == "elman"
    assert data["title"].startswith("Elman RNN")


@pytest.mark.parametrize("flag", ["--steps", "-n"])
@pytest.mark.parametrize("steps", [1, 2, 4])
def test_steps_gives_one_path_per_step_for_w_hx(flag, steps):
    data = derive_json(flag, str(steps))
    assert data["steps"] == steps
    assert data["path_count"] == steps == len(data["paths"])
    # One path enters the hidden chain at each h[t] and runs to h[n], then l, q, o.
    expected = [["W_hx", *[f"h[{s}]" for s in range(t, steps + 1)], "l", "q", "o"] for t in range(1, steps + 1)]
    assert [path["nodes"] for path in data["paths"]] == expected


def test_steps_defaults_to_3_and_wrt_to_w_hx_and_loss_to_o():
    data = derive_json()
    assert (data["steps"], data["wrt"], data["loss"], data["activation"]) == (3, "W_hx", "o", "g")


def test_steps_up_to_the_limit_is_accepted():
    data = derive_json("-n", str(MAX_STEPS), "--wrt", "V")
    assert data["steps"] == MAX_STEPS == 200
    assert data["path_count"] == 1


@pytest.mark.parametrize("wrt, count, shape", [
    ("W_hx", 3, r"m \times d"), ("W_hh", 3, r"m \times m"), ("b_h", 3, "m"), ("h_0", 1, "m"),
    ("V", 1, r"K \times m"), ("gamma", 1, "K"), ("x[1]", 1, "d"), ("h[2]", 1, "m"),
])
def test_wrt(wrt, count, shape):
    data = derive_json("-n", "3", "--wrt", wrt)
    assert (data["wrt"], data["path_count"], data["shape"]) == (wrt, count, shape)
    assert all(path["nodes"][0] == wrt and path["nodes"][-1] == "o" for path in data["paths"])


def test_loss_o_is_the_default_loss():
    assert ok("derive", "-n", "2", "--loss", "o") == ok("derive", "-n", "2")


@pytest.mark.parametrize("flag", ["--activation", "-g"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation(flag, activation):
    data = derive_json("-n", "2", flag, activation)
    assert data["activation"] == activation
    generic = derive_json("-n", "2")
    assert data["path_count"] == generic["path_count"]
    assert json.dumps(data["jacobians"]) != json.dumps(generic["jacobians"])


def test_tanh_is_typeset_as_tanh():
    assert r"\tanh" in ok("derive", "-n", "2", "-g", "tanh")
    assert r"\tanh" not in ok("derive", "-n", "2")


def test_json_carries_the_contract_keys():
    data = derive_json("-n", "2")
    for key in ("model", "steps", "wrt", "loss", "path_count", "paths", "gradient", "value", "check"):
        assert key in data
    assert data["value"] is None and data["check"] is None
    assert all(isinstance(p["latex"], str) and p["latex"] for p in data["paths"])
    assert data["gradient"]["latex"] == " + ".join(p["latex"] for p in data["paths"])


@pytest.mark.parametrize("flag", ["--format", "-f"])
def test_markdown_has_display_math_and_no_latex_preamble(flag):
    text = ok("derive", "-n", "2", flag, "markdown")
    assert text.count("$$") >= 2 and text.count("$$") % 2 == 0
    assert "**Paths.** There are 2 directed paths" in text
    assert r"\documentclass" not in text and r"\paragraph" not in text


def test_latex_is_a_fragment_by_default():
    text = ok("derive", "-n", "2", "-f", "latex")
    assert text == ok("derive", "-n", "2")
    assert r"\subsection*" in text and r"\begin{align*}" in text
    assert r"\documentclass" not in text and r"\begin{document}" not in text


def test_standalone_is_a_whole_document():
    text = ok("derive", "-n", "2", "--standalone")
    preamble = text.split(r"\begin{document}")[0]
    assert preamble.startswith(r"\documentclass") and "amsmath" in preamble
    assert text.index(r"\begin{document}") < text.index(r"\subsection*") < text.index(r"\end{document}")


@pytest.mark.parametrize("flag", ["-o", "--output"])
@pytest.mark.parametrize("fmt", ["latex", "markdown", "json"])
def test_output_writes_the_file_and_prints_nothing(tmp_path, flag, fmt):
    target = tmp_path / f"out.{fmt}"
    assert ok("derive", "-n", "2", "-f", fmt, flag, str(target)) == ""
    assert target.read_text(encoding="utf-8") == ok("derive", "-n", "2", "-f", fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_output_replaces_an_existing_file(tmp_path):
    target = tmp_path / "out.tex"
    target.write_text("old " * 10_000, encoding="utf-8")
    ok("derive", "-n", "1", "-o", str(target))
    assert target.read_text(encoding="utf-8") == ok("derive", "-n", "1")


def test_template_dir_overrides_one_template_and_falls_back_for_the_rest(tmp_path):
    (tmp_path / "derivation.md.j2").write_text(
        "MINE: ((( doc.path_count ))) paths to ((( doc.loss ))) {{ braces stay }}\n", encoding="utf-8")
    assert ok("derive", "-n", "4", "-f", "markdown", "--template-dir", str(tmp_path)) == \
        "MINE: 4 paths to o {{ braces stay }}\n"
    # derivation.tex.j2 is not in the folder: the shipped one is used.
    assert ok("derive", "-n", "2", "--template-dir", str(tmp_path)) == ok("derive", "-n", "2")


def test_template_dir_template_may_include_a_shipped_one(tmp_path):
    (tmp_path / "derivation.tex.j2").write_text('% mine\n((* include "derivation.md.j2" *))', encoding="utf-8")
    text = ok("derive", "-n", "2", "--template-dir", str(tmp_path))
    assert text.startswith("% mine\n")
    assert "**Paths.**" in text


@pytest.mark.parametrize("template, needles", [
    ("((* for x in *))\n", ["template", "derivation.tex.j2", "line 1"]),
    ("((( doc.no_such_field )))\n", ["template derivation.tex.j2", "no_such_field"]),
])
def test_broken_user_template_is_a_clear_error(tmp_path, template, needles):
    (tmp_path / "derivation.tex.j2").write_text(template, encoding="utf-8")
    line = error_line(run("derive", "-n", "2", "--template-dir", str(tmp_path)))
    assert all(needle in line for needle in needles), line


def test_check_reports_the_errors_for_every_activation_and_exits_0():
    data = derive_json("-n", "2", "--check")
    check = data["check"]
    assert check["passed"] is True
    assert [r["activation"] for r in check["results"]] == ACTIVATIONS
    assert all(r["passed"] and r["path_sum_error"] <= check["tolerance"] for r in check["results"])
    assert check["tolerance"] == 1e-6
    text = ok("derive", "-n", "2", "--check")
    assert "largest relative error" in text and "tolerance $10^{-6}$; passed." in text
    for activation in ACTIVATIONS:
        assert f"{activation} & " in text


def test_check_with_a_concrete_activation_checks_that_one():
    check = derive_json("-n", "2", "-g", "relu", "--check")["check"]
    assert [r["activation"] for r in check["results"]] == ["relu"]


def test_seed_chooses_the_check_and_is_reported():
    first = derive_json("-n", "2", "--check", "--seed", "1")["check"]
    again = derive_json("-n", "2", "--check", "--seed", "1")["check"]
    other = derive_json("-n", "2", "--check", "--seed", "7")["check"]
    assert first == again
    assert (first["seed"], other["seed"]) == (1, 7)
    assert (first["sizes"], first["results"]) != (other["sizes"], other["results"])
    assert "random draw 7)" in ok("derive", "-n", "2", "--check", "--seed", "7")


@pytest.mark.parametrize("wrt, shape", [("W_hx", [2, 2]), ("V", [3, 2]), ("gamma", [3]), ("x[2]", [2])])
def test_at_gives_a_value_of_the_parameters_shape(wrt, shape):
    value = derive_json("-n", "3", "-g", "tanh", "--wrt", wrt, "--at", VALUES)["value"]
    assert value["shape"] == shape
    assert np.array(value["values"]).shape == tuple(shape)


def test_at_typesets_the_value_as_a_matrix():
    text = ok("derive", "-n", "3", "-g", "tanh", "--at", VALUES)
    value = derive_json("-n", "3", "-g", "tanh", "--at", VALUES)["value"]["values"]
    row = " & ".join(f"{x:.4g}" for x in value[0])  # four significant digits, --digits' default
    assert rf"\begin{{bmatrix}} {row} \\ " in text


def test_at_with_the_generic_activation_is_a_clear_error():
    line = error_line(run("derive", "-n", "3", "--at", VALUES))
    assert "--at needs numbers for g" in line and "--activation tanh" in line


def test_max_paths_at_the_path_count_is_enough():
    assert derive_json("-n", "3", "--max-paths", "3")["path_count"] == 3


def test_max_paths_below_the_path_count_is_a_clear_error():
    line = error_line(run("derive", "-n", "3", "--max-paths", "2"))
    assert "3 paths lead from W_hx to o" in line and "--max-paths 2" in line


# ---------------------------------------------------------------- models


def test_models_text():
    text = ok("models")
    assert text == ok("models", "--format", "text") == ok("models", "-f", "text")
    assert text.startswith("elman: Elman RNN")
    assert "parameters: W_hx (m x d), W_hh (m x m), b_h (m), h_0 (m), V (K x m), gamma (K)" in text
    assert "default --wrt: W_hx" in text


def test_models_json():
    entries = json.loads(ok("models", "--format", "json"))
    assert [entry["name"] for entry in entries] == list(MODELS)
    elman = entries[0]
    assert [p["name"] for p in elman["parameters"]] == ["W_hx", "W_hh", "b_h", "h_0", "V", "gamma"]
    assert elman["parameters"][0]["shape"] == ["m", "d"]
    assert (elman["loss"], elman["default_wrt"]) == ("o", "W_hx")
    assert entries == json.loads(ok("models", "-f", "json"))


def test_models_unknown_format():
    line = error_line(run("models", "-f", "yaml"))
    assert "'yaml'" in line and "text" in line and "json" in line


# ---------------------------------------------------------------- bad input


def bad_files(folder: Path) -> None:
    """The files the bad-input cases below point at."""
    (folder / "bad.json").write_text('{"W_hx": [[1, 2]', encoding="utf-8")
    (folder / "templates").mkdir()
    (folder / "templates" / "derivation.tex.j2").write_text("((* if *))", encoding="utf-8")


BAD_INPUT = [
    # (id, arguments of derive ({tmp} is the test's folder), words the error line must contain)
    ("unknown-model", ["-m", "lstm2"], ["--model", "'lstm2'", "elman"]),
    ("steps-0", ["-n", "0"], ["--steps", "0 is not in the range 1<=x<=200"]),
    ("steps-201", ["-n", "201"], ["--steps", "201 is not in the range 1<=x<=200"]),
    ("steps-negative", ["--steps", "-3"], ["--steps", "-3"]),
    ("steps-fraction", ["-n", "2.5"], ["--steps", "'2.5'"]),
    ("steps-word", ["-n", "three"], ["--steps", "'three'"]),
    ("unknown-wrt", ["--wrt", "W_xx"], ["no node 'W_xx'", "W_hx, W_hh"]),
    ("wrt-step-out-of-range", ["-n", "3", "--wrt", "x[4]"], ["no node 'x[4]'", "x[1..3]"]),
    ("wrt-the-loss", ["--wrt", "o"], ["--wrt o is the loss itself"]),
    ("unknown-loss", ["--loss", "zz"], ["no node 'zz'"]),
    ("vector-loss-factored", ["--loss", "l", "--form", "factored"], ["--loss l is a vector", "--form paths"]),
    ("unknown-activation", ["-g", "swish"], ["--activation", "'swish'", "tanh"]),
    ("unknown-format", ["-f", "html"], ["--format", "'html'", "markdown"]),
    ("standalone-json", ["-f", "json", "--standalone"], ["--standalone", "JSON has no page"]),
    ("standalone-page-title", ["-f", "markdown", "--standalone", "--heading-level", "1"], ["no level above"]),
    ("missing-values-file", ["-g", "tanh", "--at", "{tmp}/absent.json"], ["cannot read values file", "absent.json"]),
    ("bad-values-file", ["-g", "tanh", "--at", "{tmp}/bad.json"], ["bad.json is not valid JSON"]),
    ("at-generic-g", ["--at", "{tmp}/bad.json"], ["--at needs numbers for g"]),
    ("max-paths-too-low", ["-n", "3", "--max-paths", "1"], ["3 paths", "--max-paths 1"]),
    ("max-paths-0", ["--max-paths", "0"], ["--max-paths", "0 is not in the range 1<=x<=25000"]),
    ("max-paths-huge", ["--max-paths", "1000000000"], ["--max-paths", "not in the range 1<=x<=25000"]),
    ("seed-negative", ["--check", "--seed", "-1"], ["--seed", "-1 is not in the range 0<=x<=4294967295"]),
    ("empty-wrt", ["--wrt", ""], ["--wrt is empty", "W_hx"]),
    ("empty-loss", ["--loss", ""], ["--loss is empty", "such as o"]),
    ("empty-at", ["-g", "tanh", "--at", ""], ["--at is empty"]),
    ("deng-hint-from-0", ["-m", "deng", "-n", "1", "--wrt", "h[1]"], ["no node 'h[1]'", "h[0]", "x[0..1]"]),
    ("goodfellow-hint-sum", ["-m", "goodfellow", "-n", "2", "--wrt", "zzz"], ["L[1..2], L"]),
    ("layers-too-many", ["-m", "stacked", "-L", "9"], ["--layers must be an integer from 1 to 8"]),
    ("seed-word", ["--check", "--seed", "x"], ["--seed", "'x'"]),
    ("missing-template-dir", ["--template-dir", "{tmp}/absent"], ["--template-dir", "does not exist"]),
    ("broken-template", ["--template-dir", "{tmp}/templates"], ["template", "line 1"]),
    ("unknown-option", ["--bogus"], ["No such option", "--bogus"]),
]


@pytest.mark.parametrize("args, needles", [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_one_error_line_with_status_2_and_writes_nothing(tmp_path, args, needles):
    bad_files(tmp_path)
    args = [arg.format(tmp=tmp_path) for arg in args]
    before = sorted(tmp_path.rglob("*"))
    line = error_line(run("derive", *args))
    assert all(needle in line for needle in needles), line

    existing = tmp_path / "existing.tex"
    existing.write_text("keep me\n", encoding="utf-8")
    assert error_line(run("derive", *args, "-o", str(existing))) == line
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    assert error_line(run("derive", *args, "-o", str(tmp_path / "new.tex"))) == line
    assert sorted(tmp_path.rglob("*")) == sorted(before + [existing])


def test_output_into_a_missing_folder_is_a_clear_error(tmp_path):
    line = error_line(run("derive", "-n", "1", "-o", str(tmp_path / "no" / "out.tex")))
    assert f"folder {tmp_path / 'no'} does not exist" in line
    assert list(tmp_path.iterdir()) == []


def test_output_onto_a_folder_is_a_clear_error_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "out.tex").mkdir()
    line = error_line(run("derive", "-n", "1", "-o", str(tmp_path / "out.tex")))
    assert "cannot write" in line and "out.tex" in line
    assert [p.name for p in tmp_path.iterdir()] == ["out.tex"]


# ---------------------------------------------------------------- the program as a whole


def test_no_arguments_prints_help_and_exits_0():
    result = run()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: symrnn")
    assert "derive" in result.stdout and "models" in result.stdout
    assert result.stderr == ""


def test_help():
    text = ok("derive", "--help")
    for option in ("--model", "--steps", "--wrt", "--loss", "--activation", "--format", "--standalone",
                   "--output", "--template-dir", "--check", "--seed", "--at", "--max-paths"):
        assert option in text
    assert ok("derive", "-h") == text


def test_version():
    assert ok("--version") == f"symrnn, version {symrnn.__version__}\n"


def python(*args: str, seed: str = "0") -> subprocess.Popen:
    """``python ARGS`` started with the given PYTHONHASHSEED, its output piped."""
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_python_m_symrnn_works():
    process = python("-m", "symrnn", "derive", "--model", "elman", "--steps", "2")
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (0, b"")
    text = stdout.decode("utf-8")
    assert r"\subsection*{Elman RNN" in text and "There are 2 directed paths" in text


def test_python_m_symrnn_reports_errors_like_the_command():
    process = python("-m", "symrnn", "derive", "--steps", "0")
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stdout) == (2, b"")
    assert stderr.decode().startswith("Error: Invalid value for '--steps'") and stderr.count(b"\n") == 1


@pytest.mark.parametrize("options", [["-f", "json"], ["-f", "latex", "--standalone"], ["-f", "markdown"]],
                         ids=["json", "standalone", "markdown"])
def test_output_is_the_same_whatever_the_hash_seed(options):
    processes = [python("-m", "symrnn", "derive", "-n", "3", *options, seed=seed) for seed in "0123"]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _, err in outputs]
    assert outputs[0][0]
    assert all(out == outputs[0][0] for out, _ in outputs)
    assert outputs[0][0] == ok("derive", "-n", "3", *options).encode("utf-8")


def test_a_bug_is_still_one_line(monkeypatch):
    """An exception symrnn does not expect (a bug) is reported in one line with exit status 1, never a traceback."""
    import symrnn.cli as cli_module

    def broken(*args, **kwargs):
        raise KeyError("x[4]")

    monkeypatch.setattr(cli_module, "document", broken)
    line = error_line(run("derive", "-n", "1"), status=1)
    assert line.startswith("Error: internal error (KeyError: 'x[4]'); this is a bug in symrnn")
