"""What the tests share: settings read from the environment, the CLI run in-process, pdflatex, a cached
derivation. Tests import from here, never from one another."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from symrnn.catalogue import get_model
from symrnn.cli import cli
from symrnn.derivation import derive

REQUIRE_PDFLATEX = os.environ.get("SYMRNN_REQUIRE_PDFLATEX") == "1"
"""CI sets this: a missing pdflatex is then a failure, not a skip."""

REGENERATE = os.environ.get("SYMRNN_REGENERATE") == "1"
"""Set to rewrite the golden files from the current output (then review the diff)."""

ELMAN_PARAMETERS = ("W_hx", "W_hh", "b_h", "h_0", "V", "gamma")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VALUES = str(EXAMPLES / "elman-values.json")
"""The example values file of the README (elman, n = 3)."""


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


def run(*args: str) -> Result:
    """``symrnn ARGS`` in-process; stdout and stderr apart (click 8.2+)."""
    return CliRunner().invoke(cli, list(args), prog_name="symrnn")


def ok(*args: str) -> str:
    """The standard output of a command that must succeed with nothing on stderr."""
    result = run(*args)
    assert result.exit_code == 0, result.stderr or result.exception
    assert result.stderr == ""
    return result.stdout


def derive_json(*args: str) -> dict:
    """``symrnn derive -f json ARGS``, parsed."""
    return json.loads(ok("derive", "-f", "json", *args))


def error_line(result: Result, status: int = 2) -> str:
    """The one ``Error:`` line of a failed command, after checking the error contract."""
    assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def compile_latex(folder, text: str) -> str:
    """Compile a document with pdflatex; the log, after asserting it compiled cleanly."""
    engine = pdflatex()
    source = folder / "derivation.tex"
    source.write_text(text, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", source.name],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    log = (folder / "derivation.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert (folder / "derivation.pdf").stat().st_size > 1000
    assert "Undefined control sequence" not in log
    assert "Overfull \\hbox" not in log, "a line runs past the margin"
    return log


FD_NOISE = 1e-10
"""Round-off of the five-point differences, absolute: each entry carries about 1.5·ε·|L|/STEP ≈ 3e-13·|L| (STEP =
1e-3), so a gradient of up to 16 entries on a loss of up to 100 carries at most ≈ 1.3e-10. Below that a relative
error says nothing: a gradient of norm 1e-7 is then compared to its last three digits only."""


def near_finite_differences(derived, reference) -> bool:
    """Whether a derived gradient equals its finite-difference reference: within the check's relative TOLERANCE,
    or, for a gradient so small that the differences' round-off dominates, within FD_NOISE."""
    import numpy as np

    from symrnn.checking import TOLERANCE, relative_error

    return relative_error(derived, reference) <= TOLERANCE or float(np.linalg.norm(derived - reference)) <= FD_NOISE
