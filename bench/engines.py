"""The largest n of each built-in model whose Markdown every math engine typesets: KaTeX (default settings),
MathJax 3 and MathJax 2, run from Node (tests/mathjs, after `npm ci` there).

    python bench/engines.py                 # prints a Markdown table and writes bench/engines.md

For each model the derivation of its default variable (the path form while it has at most 64 paths, then the
factored form, as `symrnn derive` chooses) is rendered as Markdown at n = 10, 25, 50, 100 and 200 (the largest
symrnn takes); each engine typesets every display and inline formula of it. A cell gives the largest n at which
every formula typesets.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from symrnn.api import document  # noqa: E402
from symrnn.catalogue import MODELS  # noqa: E402
from symrnn.rendering import render  # noqa: E402

ENGINES = ("katex", "mathjax3", "mathjax2")
STEPS = (10, 25, 50, 100, 200)
TYPESET = HERE.parent / "tests" / "mathjs" / "typeset.mjs"


def formulas(markdown: str) -> list[dict]:
    found = [{"tex": m.group(1), "display": True} for m in re.finditer(r"^\$\$\n(.*?)\n\$\$$", markdown, re.S | re.M)]
    text = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    text = re.sub(r"^```.*?^```$", "", text, flags=re.S | re.M)
    return found + [{"tex": m.group(1), "display": False} for m in re.finditer(r"(?<!\$)\$([^$\n]+)\$", text)]


def typesets(engine: str, markdown: str, folder: Path) -> bool:
    path = folder / "formulas.json"
    path.write_text(json.dumps(formulas(markdown)), encoding="utf-8")
    done = subprocess.run([shutil.which("node") or "node", str(TYPESET), engine, str(path)], capture_output=True,
                          text=True, timeout=3600)
    return done.returncode == 0


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in sorted(MODELS):
            largest = {engine: 0 for engine in ENGINES}
            for steps in STEPS:
                markdown = render(document(name, steps), "markdown")
                for engine in ENGINES:
                    if largest[engine] == _before(steps) and typesets(engine, markdown, Path(folder)):
                        largest[engine] = steps
            rows.append((name, largest))
            print(name, largest, flush=True)
    lines = ["| model | " + " | ".join(ENGINES) + " |", "|---|" + "---|" * len(ENGINES)]
    lines += [f"| `{name}` | " + " | ".join(str(largest[e]) for e in ENGINES) + " |" for name, largest in rows]
    table = "\n".join(lines) + "\n"
    (HERE / "engines.md").write_text("Largest n (of 10, 25, 50, 100, 200) at which every formula of the model's "
                                     "Markdown typesets, per engine (bench/engines.py).\n\n" + table, encoding="utf-8")
    print(table)


def _before(steps: int) -> int:
    """The n tried before ``steps``: an engine is tried at n only if it managed the n before."""
    return STEPS[STEPS.index(steps) - 1] if STEPS.index(steps) else 0


if __name__ == "__main__":
    main()
