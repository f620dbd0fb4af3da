"""The worst inputs symrnn accepts, each run once in a fresh process: wall time, peak memory, exit status.

    python bench/limits.py              # prints a Markdown table (and writes bench/limits.md)
    python bench/limits.py --quick      # leaves out the runs of over a minute

Each row is the largest input of its kind that the limits in symrnn/limits.py let through (and, for
values files, hostile ones that must be refused quickly); the README's "Errors and limits" section quotes
these figures. Peak memory is GNU time's maximum resident set size of the command alone (the max RSS that
wait4 reports for a child also counts the parent's pages at fork, which grow as outputs are read).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from pathlib import Path

from run import HERE, PYTHON, timed

SYMRNN = [PYTHON, "-m", "symrnn"]
GNU_TIME = ["/usr/bin/time", "-f", "peak %M"]

CASES: tuple[tuple[str, list[str], bool], ...] = (
    # (what, arguments of symrnn, slow)
    ("derive, n = 200 (the largest), elman", ["derive", "-n", "200"], False),
    ("derive --check, n = 200, gru", ["derive", "-m", "gru", "-n", "200", "--check"], False),
    ("derive --check, n = 200, stacked -L 8 (the most layers)", ["derive", "-m", "stacked", "-L", "8", "-n", "200",
                                                                  "--check"], False),
    ("derive --wrt all --check, n = 200, gru", ["derive", "-m", "gru", "-n", "200", "--wrt", "all", "--check"], True),
    ("derive --wrt all --check, n = 200, lstm", ["derive", "-m", "lstm", "-n", "200", "--wrt", "all", "--check"],
     True),
    ("derive --wrt all --check, n = 200, stacked -L 8", ["derive", "-m", "stacked", "-L", "8", "-n", "200", "--wrt",
                                                         "all", "--check"], True),
    ("derive --wrt all --check, n = 200, stacked-birnn", ["derive", "-m", "stacked-birnn", "-n", "200", "--wrt",
                                                          "all", "--check"], True),
    ("derive --form paths, 21,845 paths (gru n = 8 U_z, --max-paths 25000)",
     ["derive", "-m", "gru", "-n", "8", "--wrt", "U_z", "--form", "paths", "--max-paths", "25000"], True),
    ("paths --count, n = 10,000, gru U_z (6,022 digits)", ["paths", "-m", "gru", "-n", "10000", "--wrt", "U_z",
                                                            "--count"], False),
    ("paths --count, n = 10,000, lstm", ["paths", "-m", "lstm", "-n", "10000", "--count"], False),
    ("paths, n = 10,000, gru U_z, first 20 paths", ["paths", "-m", "gru", "-n", "10000", "--wrt", "U_z"], False),
    ("paths --limit 100000 (the largest), gru n = 12 U_z", ["paths", "-m", "gru", "-n", "12", "--wrt", "U_z",
                                                            "--limit", "100000"], False),
    ("paths --limit 100000 -f json, gru n = 12 U_z", ["paths", "-m", "gru", "-n", "12", "--wrt", "U_z", "--limit",
                                                      "100000", "-f", "json"], False),
)

ALIAS_BOMB = "\n".join(["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
                       + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)])
"""A YAML 'billion laughs': nine levels of nine aliases, 9⁹ entries from about 600 bytes."""


def largest_values(folder: Path) -> Path:
    """A valid elman values file just under the 16 MiB limit: d wide enough, n = 3."""
    width = 475_000
    row = [0.001] * width
    data = {"W_hx": [row, row], "W_hh": [[0.2, -0.4], [0.6, 0.1]], "b_h": [0.05, -0.1], "h_0": [0.0, 0.0],
            "V": [[1.0, -0.5], [0.3, 0.7], [-0.6, 0.2]], "gamma": [0.1, 0.0, -0.1], "x": [row, row, row], "y": 2}
    path = folder / "largest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _as_yaml(data: dict, width: int) -> str:
    """The same values as flow-style YAML, the input rows and W_hx cut to ``width`` columns."""
    cut = {name: [row[:width] for row in rows] if name in ("W_hx", "x") else rows for name, rows in data.items()}
    return "".join(f"{name}: {json.dumps(value)}\n" for name, value in cut.items())


def value_cases(folder: Path) -> tuple[tuple[str, list[str], bool], ...]:
    """The largest values file accepted, and hostile ones: an alias bomb, an endless file, deep nesting."""
    largest = largest_values(folder)
    size = largest.stat().st_size / 2**20
    yaml_file = folder / "largest.yaml"
    yaml_file.write_text(_as_yaml(json.loads(largest.read_text(encoding="utf-8")), 29_000), encoding="utf-8")
    yaml_size = yaml_file.stat().st_size / 2**20
    bomb = folder / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB + "\n", encoding="utf-8")
    deep = folder / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    at = ["derive", "-n", "3", "-g", "tanh", "--at"]
    return ((f"--at a valid JSON file of {size:.1f} MiB (elman, d = 475,000)", at + [str(largest), "--wrt", "b_h"],
             False),
            (f"--at a valid YAML file of {yaml_size:.2f} MiB (elman, d = 29,000)",
             at + [str(yaml_file), "--wrt", "b_h"], False),
            (f"--at alias bomb (YAML, {bomb.stat().st_size} bytes)", at + [str(bomb)], False),
            ("--at /dev/zero", at + ["/dev/zero"], False),
            ("--at JSON nested 100,000 deep", at + [str(deep)], False))


def measure(cases) -> list[dict]:
    rows = []
    for what, args, _ in cases:
        result = timed(GNU_TIME + SYMRNN + args)
        *said, peak = result["stderr"].strip().splitlines()
        rows.append({"what": what, "command": "symrnn " + " ".join(args), "seconds": round(result["seconds"], 2),
                     "peak_mb": round(int(peak.split()[-1]) / 1024), "status": result["status"],
                     "output_kb": round(len(result["stdout"].encode()) / 1024),
                     "stderr": "\n".join(line for line in said if not line.startswith("Command exited"))[:160]})
        print(f"{rows[-1]['seconds']:8.2f} s {rows[-1]['peak_mb']:6d} MB  exit {result['status']}  {what}",
              file=sys.stderr)
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"Measured with `python bench/limits.py` on {platform.machine()}, Python {platform.python_version()}, "
             "each case once in a fresh process.", "",
             "| input | time (s) | peak memory (MB) | exit | output (KB) |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['what']} | {r['seconds']} | {r['peak_mb']} | {r['status']} | {r['output_kb']} |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the runs of over a minute")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases = [c for c in CASES + value_cases(Path(folder)) if not (options.quick and c[2])]
        rows = measure(cases)
    text = table(rows)
    (HERE / "limits.md").write_text(text, encoding="utf-8")
    (HERE / "limits.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
