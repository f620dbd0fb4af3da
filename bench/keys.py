"""The course benchmark: a 20-question sheet with 30 variants, keys and student sheets compiled, in one process.

    python bench/keys.py            # prints the times and writes bench/keys.md

The sheet holds the first 20 parts of the example sheets in examples/keys/,
every one checked and, where it has numbers, checked at them against finite differences; 30 variants give 600
answered parts, 60 PDFs (a key and a student sheet each) and their .tex and .md. Target: under 5 minutes on the
2-core machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from symrnn.cli import cli  # noqa: E402

EXAMPLES = HERE.parent / "examples" / "keys"
VARIANTS = 30


def course_sheet(folder: Path) -> Path:
    """The example sheets' parts, 20 of them, as one sheet (files they name copied beside it)."""
    parts = []
    for name in ("collins", "deng", "homework", "goodfellow"):
        sheet = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
        for question in sheet["questions"]:
            for part in question.get("parts", [question]):
                parts.append({k: v for k, v in part.items() if k in ("text", "points", "derive", "figure", "vary")})
    for data in EXAMPLES.glob("*.json"):
        (folder / data.name).write_bytes(data.read_bytes())
    while len(parts) < 20:
        parts.append({"text": "Numbers.", "points": 2, "derive": {"model": "gru", "steps": 2, "activation": "tanh",
                                                                  "numbers": True}, "vary": {"steps": [2, 3]}})
    sheet = {"title": "A course", "seed": 1, "questions": [{"text": "Question.", "parts": parts[:20]}]}
    path = folder / "course.yaml"
    path.write_text(yaml.safe_dump(sheet, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        sheet = course_sheet(Path(folder))
        start = time.perf_counter()
        try:
            cli.main(["key", str(sheet), "--student", "--variants", str(VARIANTS), "-o", f"{folder}/out/"],
                     prog_name="symrnn")
        except SystemExit as stop:
            if stop.code:
                raise
        seconds = time.perf_counter() - start
        pdfs = len(list(Path(folder, "out").glob("*.pdf")))
    table = ("| parts | variants | answered parts | PDFs | seconds | seconds per variant |\n"
             "|---|---|---|---|---|---|\n"
             f"| 20 | {VARIANTS} | {20 * VARIANTS} | {pdfs} | {seconds:.0f} | {seconds / VARIANTS:.1f} |\n")
    (HERE / "keys.md").write_text("The course benchmark (bench/keys.py): one process, 2-core machine.\n\n" + table,
                                  encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
