"""Shared test settings: hypothesis profiles, the pdflatex switch, the golden-file switch."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, settings

from symrnn.catalogue import get_model
from symrnn.derivation import derive

settings.register_profile("dev", deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=40, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REQUIRE_PDFLATEX = os.environ.get("SYMRNN_REQUIRE_PDFLATEX") == "1"
"""CI sets this: a missing pdflatex is then a failure, not a skip."""

REGENERATE = os.environ.get("SYMRNN_REGENERATE") == "1"
"""Set to rewrite the golden files from the current output (then review the diff)."""

ELMAN_PARAMETERS = ("W_hx", "W_hh", "b_h", "h_0", "V", "gamma")


def pdflatex() -> str:
    """The pdflatex executable, or a skip (a failure when CI requires it)."""
    found = shutil.which("pdflatex")
    if found:
        return found
    if REQUIRE_PDFLATEX:
        pytest.fail("SYMRNN_REQUIRE_PDFLATEX=1 but no pdflatex on PATH (apt-get install texlive-latex-extra)")
    pytest.skip("no pdflatex installed (apt-get install texlive-latex-extra); LaTeX not compiled")


@lru_cache(maxsize=None)
def elman(steps: int, wrt: str = "W_hx", activation: str = "g"):
    """A cached derivation for the elman model (derivations are immutable)."""
    return derive(get_model("elman"), steps, wrt=wrt, activation=activation)
