"""Paths of the unrolled graph: the known lists, exact counts, stable order."""

from __future__ import annotations

import json
import sys
import tracemalloc
from itertools import islice

import pytest

from helpers import ELMAN_PARAMETERS
from symrnn.catalogue import get_model
from symrnn.graph import unroll
from symrnn.paths import count_paths, exact_digits, iter_paths, list_paths

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


def test_a_count_of_over_4300_digits_is_printed_in_full():
    """Python refuses to print integers of over 4,300 digits; gru's count at n = 7,200 has 4,335."""
    text = paths_cli("-m", "gru", "-n", "7200", "--wrt", "U_z", "--count").strip()
    with exact_digits():
        assert text == str((4 ** 7200 - 1) // 3) and len(text) == 4335
    data = json.loads(paths_cli("-m", "gru", "-n", "7200", "--wrt", "U_z", "--count", "-f", "json"),
                      parse_int=lambda digits: digits)
    assert data["path_count"] == text and "paths" not in data


def test_exact_digits_puts_the_limit_back():
    before = sys.get_int_max_str_digits()
    with exact_digits():
        assert sys.get_int_max_str_digits() == 0
    assert sys.get_int_max_str_digits() == before


@pytest.mark.parametrize("args", [("-m", "lstm", "-n", "3", "--limit", "30"), ("-m", "gru", "-n", "3", "--limit", "0"),
                                  ("-m", "elman", "-n", "2"), ("-m", "deng", "-n", "1", "--wrt", "V")])
def test_streamed_json_is_exactly_what_json_dumps_writes(args):
    text = paths_cli(*args, "-f", "json")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2) + "\n"
    graph = unroll(get_model(data["model"]), data["steps"])
    expected = [list(p) for p in list_paths(graph, data["wrt"], data["loss"])][:len(data["paths"])]
    assert data["paths"] == expected


def test_listing_a_few_paths_takes_memory_linear_in_one_path():
    """Depth first with one path under construction: the first 20 paths at n = 2,000 need far less than the
    32 MB that keeping a whole path per pending branch took."""
    graph = unroll(get_model("gru"), 2000)
    graph.successors
    tracemalloc.start()
    try:
        listed = list(islice(iter_paths(graph, "U_z", "o"), 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(listed) == 20 and all(p[0] == "U_z" and p[-1] == "o" for p in listed)
    assert peak < 4_000_000, peak


def test_limit_is_bounded():
    result = CliRunner().invoke(cli, ["paths", "--limit", "100001"], prog_name="symrnn")
    assert result.exit_code == 2 and "--limit" in result.stderr and "0<=x<=100000" in result.stderr
