"""What the documentation builds share (``symrnn.sphinx``, ``symrnn.mkdocs``): a derivation asked for by the command
line's arguments, with the files it names found beside the page, run once per arguments, files and version.

A page's arguments are the ``symrnn derive`` options (``-m elman -n 3 --check``; a leading ``derive`` may be left
out). A model file, a values file (``--at``) or a template folder is looked for relative to the page first. The
output is Markdown unless a format is given; a failed run, or a failed ``--check``, is an ``EmbedError`` that holds
the one error line and, for a check, the check's table.
"""

from __future__ import annotations

import hashlib
import shlex
from functools import lru_cache
from pathlib import Path

from . import __version__
from .errors import SymrnnError

PATH_OPTIONS = frozenset({"-m", "--model", "--at", "--template-dir"})
"""Options whose value may be a file or folder, found relative to the page that asks."""

FORMAT_OPTIONS = frozenset({"-f", "--format"})

DERIVE = "derive"


class EmbedError(SymrnnError):
    """A derivation a page asks for failed: the page, the arguments and symrnn's own message."""


def arguments(text: str | list[str], page_folder: Path, fmt: str = "markdown") -> tuple[str, ...]:
    """The command line for a page's arguments: ``derive`` first, files made absolute where they exist beside the
    page, and ``--format fmt`` unless the page gives a format."""
    words = shlex.split(text) if isinstance(text, str) else list(text)
    if words[:1] == [DERIVE]:
        words = words[1:]
    found = []
    for i, word in enumerate(words):
        if i > 0 and words[i - 1] in PATH_OPTIONS and (page_folder / word).exists():
            word = str((page_folder / word).resolve())
        found.append(word)
    if not FORMAT_OPTIONS & set(found) and not any(w.startswith("--format=") for w in found):
        found += ["--format", fmt]
    return (DERIVE, *found)


def run(words: tuple[str, ...], where: str) -> str:
    """The output of ``symrnn`` with these arguments, derived once per arguments, the contents of the files they
    name, and symrnn's version; an EmbedError (naming ``where``) when it fails."""
    status, out, err = _cached(words, _fingerprint(words), __version__)
    if status == 0:
        return out
    message = err.strip().removeprefix("Error: ")
    if status == 1 and "--check" in words:  # the document still holds its table; say which check failed
        table = "\n".join(line for line in out.splitlines() if line.startswith("|"))
        message = f"{message}\n{table}" if table else message
    raise EmbedError(f"{where}: symrnn {shlex.join(words)}: {message}")


@lru_cache(maxsize=256)
def _cached(words: tuple[str, ...], fingerprint: str, version: str) -> tuple[int, str, str]:
    from .notebook import run_command

    return run_command(list(words))


def _fingerprint(words: tuple[str, ...]) -> str:
    """A digest of every file the arguments name, so that editing a model file derives again."""
    digest = hashlib.sha256()
    for i, word in enumerate(words):
        path = Path(word)
        if i > 0 and words[i - 1] in PATH_OPTIONS and path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
