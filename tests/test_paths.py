"""Paths of the unrolled graph: the known lists, exact counts, stable order."""

from __future__ import annotations

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
