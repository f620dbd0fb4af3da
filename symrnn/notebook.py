"""symrnn in Jupyter: results that display themselves, and the ``%symrnn`` magic (``%load_ext symrnn``).

A derivation, a whole gradient and their documents show as the Markdown ``symrnn derive -f markdown`` prints
(``_repr_markdown_``), or, to a front end that shows only LaTeX, as its display math (``_repr_latex_``); their
``repr`` is one line. ``%symrnn ARGS`` runs the command line in the kernel: ``%symrnn derive -m elman -n 3 --check``
shows the derivation as Markdown (``-f markdown`` unless another format is asked for), ``%symrnn graph … -f mermaid``
a Mermaid picture, ``-f svg`` the SVG; any other output is printed as text, and an error is its one line.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import sys
from abc import ABC, abstractmethod
from typing import Any

_DISPLAYS = re.compile(r"^\$\$\n(.*?)\n\$\$$", re.S | re.M)


class Displayed(ABC):
    """What Jupyter asks of a result to show it; each class says what it is in ``summary``."""

    @abstractmethod
    def summary(self) -> str:
        """One line: what was derived, for which model and steps."""

    def _repr_markdown_(self) -> str:
        from .api import render

        return render(self, "markdown")  # type: ignore[arg-type]

    def _repr_latex_(self) -> str:
        return display_math(self._repr_markdown_())

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.summary()}>"


def display_math(markdown: str) -> str:
    """Only the displays of a Markdown text, each as $$ … $$: what a front end that shows LaTeX alone can typeset
    (no sections, no lists, no prose)."""
    return "\n\n".join(f"$${body}$$" for body in _DISPLAYS.findall(markdown))


def run_command(words: list[str]) -> tuple[int, str, str]:
    """The command line run in this process: its exit status, standard output and standard error."""
    from .cli import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(words, prog_name="symrnn")
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 0
    return status, out.getvalue(), err.getvalue()


def symrnn_magic(line: str) -> Any:
    """``%symrnn derive -m elman -n 3``: the command line's arguments, its output shown in the notebook."""
    words = shlex.split(line)
    if words[:1] == ["derive"] and not {"-f", "--format"} & set(words) and not any(
            w.startswith("--format=") for w in words):
        words += ["--format", "markdown"]
    status, out, err = run_command(words)
    if err:
        print(err, end="", file=sys.stderr)
    if status not in (0, 1) or not out:  # 1: a failed --check, whose document still shows its table
        return None
    return _shown(words, out)


def _shown(words: list[str], out: str) -> Any:
    from IPython.display import SVG, Markdown

    fmt = _format(words)
    if words[:1] == ["derive"] and fmt in ("markdown", "gfm"):
        return Markdown(out)
    if words[:1] == ["graph"] and fmt == "mermaid":
        return Markdown(f"```mermaid\n{out}```")
    if words[:1] == ["graph"] and fmt == "svg":
        return SVG(out)
    print(out, end="")
    return None


def _format(words: list[str]) -> str:
    for i, word in enumerate(words):
        if word in ("-f", "--format") and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--format="):
            return word.split("=", 1)[1]
    return ""


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext symrnn``: registers the ``%symrnn`` line magic."""
    ipython.register_magic_function(symrnn_magic, "line", "symrnn")
