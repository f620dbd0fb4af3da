"""The Python API checks its options exactly as the command line does: one-line InputErrors, never a KeyError,
a ValueError from NumPy, or a silently accepted typo."""

from __future__ import annotations

import pytest

from symrnn.api import derive, document, path_report
from symrnn.errors import InputError, SymrnnError
from symrnn.rendering import render


@pytest.mark.parametrize("options, words", [
    ({"steps": True}, "--steps must be an integer from 1 to 200, not True"),
    ({"steps": 5000}, "--steps must be an integer from 1 to 200, not 5000"),
    ({"steps": 2.0}, "--steps must be an integer"),
    ({"form": "zz"}, "--form must be one of auto, paths, factored, both, not 'zz'"),
    ({"seed": -1, "check": True}, "--seed must be an integer from 0"),
    ({"check": "yes"}, "--check must be True or False"),
    ({"wrt": ""}, "--wrt is empty"),
    ({"loss": " "}, "--loss is empty"),
    ({"values": ""}, "--at is empty"),
    ({"activation": "swish"}, "--activation must be one of g, tanh"),
    ({"model": "zz"}, "--model must be one of elman"),
    ({"max_paths": 0}, "--max-paths must be an integer from 1 to 25,000"),
    ({"layers": 9, "model": "stacked"}, "--layers must be an integer from 1 to 8"),
    ({"readout": "zz"}, "--readout must be one of final, every"),
    ({"position": 0, "model": "birnn"}, "--position must be an integer of at least 1, not 0"),
])
def test_the_api_refuses_what_the_command_line_refuses(options, words):
    entries = [document] if set(options) & {"check", "seed", "values"} else [document, derive]
    for entry in entries:  # derive has no check, seed or values: symrnn.check and symrnn.evaluate take them
        with pytest.raises(InputError) as caught:
            entry(**{"model": "elman", "steps": 3, **options})
        assert words in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("options, words", [
    ({"steps": 10_001}, "--steps must be an integer from 1 to 10,000"),
    ({"limit": 100_001}, "--limit must be an integer from 0 to 100,000"),
    ({"limit": None}, "--limit must be an integer"),
    ({"wrt": "all"}, "symrnn paths counts the paths of one --wrt NAME"),
])
def test_path_report_refuses_what_symrnn_paths_refuses(options, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(")):
        path_report(**{"model": "gru", "steps": 3, **options})


def test_path_report_lists_20_paths_by_default_one_at_a_time():
    report = path_report("gru", 12, wrt="U_z")
    assert report["path_count"] == (4 ** 12 - 1) // 3
    assert not isinstance(report["paths"], (list, tuple))
    assert len(list(report["paths"])) == 20


def test_render_refuses_an_unknown_format():
    with pytest.raises(InputError, match="unknown format 'docx'"):
        render(document("elman", 2), "docx")


def test_every_library_error_is_a_symrnn_error_with_an_exit_status():
    with pytest.raises(SymrnnError) as caught:
        document("elman", 3, wrt="zzz")
    assert caught.value.exit_code == 2
