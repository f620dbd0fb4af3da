"""Paths of the unrolled graph: the known lists, exact counts, stable order."""

from __future__ import annotations

import json

import pytest

from symrnn.graph import unroll
from symrnn.catalogue import get_model
from symrnn.paths import count_paths, list_paths

from conftest import ELMAN_PARAMETERS

READOUT = ("l", "q", "o")


def known_paths(steps: int) -> tuple[tuple[str, ...], ...]:
    """W_hx → h[t] → ... → h[n] → l → q → o, one path per t, the earliest first."""
    return tuple(("W_hx",) + tuple(f"h[{s}]" for s in range(t, steps + 1)) + READOUT for t in range(1, steps + 1))


@pytest.mark.parametrize("steps", range(1, 7))
def test_paths_from_w_hx_are_the_known_ones(steps):
    graph = unroll(get_model("elman"), steps)
    assert list_paths(graph, "W_hx", "o") == known_paths(steps)
    assert count_paths(graph, "W_hx", "o") == steps


def test_the_three_paths_of_seed_000_question_1a():
    paths = list_paths(unroll(get_model("elman"), 3), "W_hx", "o")
    assert ("W_hx", "h[3]", "l", "q", "o") in paths
    assert paths == (
        ("W_hx", "h[1]", "h[2]", "h[3]", "l", "q", "o"),
        ("W_hx", "h[2]", "h[3]", "l", "q", "o"),
        ("W_hx", "h[3]", "l", "q", "o"),
    )


@pytest.mark.parametrize("wrt, expected", [
    ("W_hh", 4), ("b_h", 4), ("h_0", 1), ("V", 1), ("gamma", 1), ("x[2]", 1), ("h[3]", 1), ("l", 1), ("q", 1),
])
def test_counts_for_other_variables(wrt, expected):
    graph = unroll(get_model("elman"), 4)
    assert count_paths(graph, wrt, "o") == expected
    assert len(list_paths(graph, wrt, "o")) == expected


@pytest.mark.parametrize("wrt", ELMAN_PARAMETERS)
@pytest.mark.parametrize("steps", [1, 5, 40])
def test_count_equals_enumeration(wrt, steps):
    graph = unroll(get_model("elman"), steps)
    paths = list_paths(graph, wrt, "o")
    assert count_paths(graph, wrt, "o") == len(paths) == len(set(paths))
    assert all(p[0] == wrt and p[-1] == "o" for p in paths)
    assert all((a, b) in graph.edge for p in paths for a, b in zip(p, p[1:]))


def test_no_path_to_an_unrelated_node():
    graph = unroll(get_model("elman"), 3)
    assert count_paths(graph, "x[3]", "h[1]") == 0
    assert list_paths(graph, "x[3]", "h[1]") == ()


# ---------------------------------------------------------------- symrnn paths

from click.testing import CliRunner  # noqa: E402

from symrnn.catalogue import MODELS  # noqa: E402
from symrnn.cli import cli  # noqa: E402


def paths_cli(*args: str) -> str:
    result = CliRunner().invoke(cli, ["paths", *args], prog_name="symrnn")
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_models_count_equals_its_enumeration(name):
    m = MODELS[name]
    for steps in (1, 2, 4):
        graph = unroll(m, steps)
        for wrt in m.param_names:
            assert count_paths(graph, wrt, m.loss) == len(list_paths(graph, wrt, m.loss))


def test_gru_count_at_a_thousand_steps_is_the_exact_closed_form():
    """From U^z, 4^{n-t} ways from h^{(t)} on for each t: (4^n - 1) / 3 paths, an integer of 602 digits."""
    assert int(paths_cli("-m", "gru", "-n", "1000", "--wrt", "U_z", "--count")) == (4 ** 1000 - 1) // 3


def test_goodfellow_count_is_a_triangle_number():
    assert int(paths_cli("-m", "goodfellow", "-n", "500", "--count")) == 500 * 501 // 2


def test_paths_lists_the_first_few_in_derive_order():
    text = paths_cli("-m", "elman", "-n", "4", "--limit", "2")
    assert text.splitlines() == [
        "4 paths from W_hx to o (elman, n = 4):",
        "1. W_hx -> h[1] -> h[2] -> h[3] -> h[4] -> l -> q -> o",
        "2. W_hx -> h[2] -> h[3] -> h[4] -> l -> q -> o",
        "... 2 more (raise --limit to list them)",
    ]


def test_paths_json_has_the_exact_count_and_the_listed_paths():
    data = json.loads(paths_cli("-m", "lstm", "-n", "3", "--limit", "4", "-f", "json"))
    assert data["path_count"] == 30 and len(data["paths"]) == 4
    assert data["paths"][0][0] == "W_f" and data["paths"][0][-1] == "o"


def test_paths_rejects_an_unknown_node_in_one_line():
    result = CliRunner().invoke(cli, ["paths", "--wrt", "Q"], prog_name="symrnn")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "no node 'Q'" in result.stderr
