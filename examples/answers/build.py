"""Render the answer to every derivation question of examples/README.md as a PDF's first page, in PNG.

Run from the repository root with symrnn installed, pdflatex and pdftoppm (poppler-utils) on the path:

    python examples/answers/build.py            # every question
    python examples/answers/build.py deng-3-5   # one

Each answer is the command shown in examples/README.md with ``--standalone`` added, compiled with pdflatex; the
PNG of its first page is written beside this file as NAME.png, and where the question asks for numbers, the pages
that hold them as NAME-2.png, NAME-3.png (the .tex and .pdf are not kept).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUESTIONS: tuple[tuple[str, str, int], ...] = (
    ("collins-q1ab", "symrnn derive --model elman --steps 3", 1),
    ("collins-q1c", "symrnn derive -m elman -n 3 --depends-on 'x[1]'", 1),
    ("collins-q2", "symrnn derive -m birnn -n 3 --position 2", 1),
    ("collins-q2a", "symrnn derive -m stacked-birnn -n 3 --position 2", 1),
    ("collins-q2b", "symrnn derive -m tagger -n 3 --position 3 --wrt W_by", 1),
    ("collins-q3", "symrnn derive -m gru -n 3 --wrt U_z", 1),
    ("deng-1", "symrnn derive -m deng -n 2 -g relu --at examples/deng-forward.json", 3),
    ("deng-3-1", "symrnn derive -m deng -n 1", 1),
    ("deng-3-2", "symrnn derive -m deng -n 2", 1),
    ("deng-3-3", "symrnn derive -m deng -n 3", 1),
    ("deng-3-4", "symrnn derive -m deng -n N", 1),
    ("deng-3-5", "symrnn derive -m deng -n 1 -g relu --wrt 'W[0,0]' --loss 'o[0]' --at examples/deng-002.json", 2),
    ("goodfellow-10-9-1", "symrnn derive -m leaky -n 4 --wrt 'u[1]'", 1),
    ("goodfellow-10-9-3", "symrnn derive -m leaky-free -n 4 --wrt 'u[1]'", 1),
    ("homework-q1-1", "symrnn derive -m scalar -n 1 --loss 'L[1]' -g relu-active", 1),
    ("homework-q1-1-two-steps", "symrnn derive -m scalar -n 2 --loss 'L[2]' -g relu-active", 1),
    ("homework-q1-3", "symrnn derive -m stacked-residual -n 3", 1),
    ("homework-q1-4", "symrnn derive -m birnn-shared -n 3 --position 2", 1),
    ("goodfellow-10-22", "symrnn derive -m goodfellow -n 3 --wrt W", 1),
)
"""(file name, the command examples/README.md shows for the question, how many pages to render: the first, or as
many as it takes to reach the numbers the question asks for)."""

RESOLUTION = 80
"""Dots per inch of the PNGs: a page is 680 × 880 pixels, legible and about 90 KB."""


def render(name: str, command: str, pages: int, folder: Path) -> list[Path]:
    """The question's answer as a standalone document, compiled, its first ``pages`` pages written to HERE as
    name.png, name-2.png, ..."""
    source = folder / f"{name}.tex"
    words = shlex.split(command)
    subprocess.run([sys.executable, "-m", "symrnn", *words[1:], "--standalone", "-o", str(source)], check=True)
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=folder, check=True,
                   capture_output=True)
    written = []
    for page in range(1, pages + 1):
        target = HERE / (name if page == 1 else f"{name}-{page}")
        subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page), "-singlefile",
                        str(folder / f"{name}.pdf"), str(target)], check=True)
        written.append(target.with_suffix(".png"))
    return written


def main(names: list[str]) -> None:
    chosen = [q for q in QUESTIONS if not names or q[0] in names]
    if names and len(chosen) != len(names):
        raise SystemExit(f"unknown question; the questions are {', '.join(q[0] for q in QUESTIONS)}")
    with tempfile.TemporaryDirectory() as folder:
        for name, command, pages in chosen:
            for written in render(name, command, pages, Path(folder)):
                print(written.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main(sys.argv[1:])
