"""Benchmarks: symrnn against what a user would do instead, measured side by side on one machine.

    python bench/run.py                      # every model, n = 1 2 3 5 10 20 50; writes bench/results.md
    python bench/run.py --models elman gru --steps 1 2 3 --cap 30

For each model and n it runs, each in a fresh process (so import time counts, as in a
documentation build):
  * `symrnn derive` in the path form (when the paths number at most --max-paths) and in the
    factored form: wall time, peak memory (max RSS), size of the LaTeX;
  * the exact path count (`symrnn paths --count`);
  * the naive baseline: SymPy `diff` of the fully expanded scalar loss for one entry of the
    gradient (d = m = K = 2, real symbols, SymPy's best case), capped at --cap seconds; once it
    exceeds the cap for a model, larger n are not tried (they only grow).
It also measures the floor (`python -c "import sympy"`), the import cost of symrnn over SymPy
(`python -X importtime`), and the whole gradient of gru and lstm at n = 5 (every parameter,
factored form, with the numeric check).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = (1, 2, 3, 5, 10, 20, 50)
PYTHON = sys.executable


def timed(args: list[str], timeout: float | None = None) -> dict:
    """Run a command; its wall time, its own peak memory (max RSS, MB, from wait4), status and output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if timer:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if timeout is not None and seconds >= timeout:
            return {"seconds": None, "timed_out": True}
        return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "status": process.returncode,
                "stdout": out.read(), "stderr": err.read(), "timed_out": False}


def best_of(args: list[str], runs: int = 3) -> dict:
    results = [timed(args) for _ in range(runs)]
    return min(results, key=lambda r: r["seconds"])


def derive(model: str, steps: int, form: str, *extra: str) -> dict:
    """`symrnn derive ... --standalone -o FILE` in a fresh process: timed, with the size of FILE."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "d.tex"
        result = timed([PYTHON, "-m", "symrnn", "derive", "-m", model, "-n", str(steps), "--form", form,
                        *extra, "--standalone", "-o", str(out)])
        result["latex_bytes"] = out.stat().st_size if out.exists() else None
    return result


def path_count(model: str, steps: int) -> int:
    return int(timed([PYTHON, "-m", "symrnn", "paths", "-m", model, "-n", str(steps), "--count"])["stdout"])


def baseline(model: str, steps: int, cap: float) -> dict:
    result = timed([PYTHON, str(HERE / "naive.py"), model, str(steps)], timeout=cap)
    if result["timed_out"] or result["status"] != 0:
        return {"seconds": None, "latex_bytes": None, "timed_out": result["timed_out"],
                "error": None if result["timed_out"] else result["stderr"].strip().splitlines()[-1:]}
    data = json.loads(result["stdout"])
    return {"seconds": data["seconds"], "latex_bytes": data["latex_bytes"], "timed_out": False}


def import_cost() -> dict:
    """From python -X importtime of symrnn.cli: symrnn's own modules' self time, SymPy's cumulative
    time, and everything symrnn.cli brings in (seconds)."""
    run = subprocess.run([PYTHON, "-X", "importtime", "-c", "import symrnn.cli"], capture_output=True, text=True)
    own = sympy_total = total = 0
    for line in run.stderr.splitlines():
        if "|" not in line or "self [us]" in line:
            continue
        self_us, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        own += int(self_us) if name.startswith("symrnn") else 0
        sympy_total = int(cumulative) if name == "sympy" else sympy_total
        total = int(cumulative) if name == "symrnn.cli" else total
    return {"symrnn_self_s": own / 1e6, "sympy_cumulative_s": sympy_total / 1e6, "total_s": total / 1e6}


def whole_gradient(model: str, steps: int) -> dict:
    """The whole gradient, `symrnn derive --wrt all --check` (every parameter, factored form, one recursion),
    and for comparison the sum of the LaTeX of every parameter's own derivation (each repeats the recursion)."""
    from symrnn.catalogue import get_model

    result = derive(model, steps, "factored", "--wrt", "all", "--check")
    result["parameters"] = len(get_model(model).param_names)
    result["separate_latex_bytes"] = sum(derive(model, steps, "factored", "--wrt", p, "--check")["latex_bytes"]
                                         for p in get_model(model).param_names)
    return result


def measure(models: list[str], steps: list[int], cap: float, max_paths: int, out: str) -> dict:
    """Everything; the results files are rewritten after each model, so a long run can be read as it goes."""
    results = {**headline(models), "rows": [], "cap": cap}
    for model in models:
        baseline_done = False
        for n in steps:
            count = path_count(model, n)
            row = {"model": model, "steps": n, "paths": count,
                   "paths_form": derive(model, n, "paths") if count <= max_paths else None,
                   "factored": derive(model, n, "factored"),
                   "baseline": None if baseline_done else baseline(model, n, cap)}
            baseline_done = baseline_done or row["baseline"]["seconds"] is None
            results["rows"].append(row)
            print(f"{model} n={n}: {count} paths", flush=True)
        write(results, out)
    return results


def headline(models: list[str]) -> dict:
    """The figures above the table: the floor, the main job, the import cost, the whole gradients."""
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "sympy_import": best_of([PYTHON, "-c", "import sympy"]),
        "symrnn_import": best_of([PYTHON, "-c", "import symrnn.cli"]),
        "elman_n3": best_of([PYTHON, "-m", "symrnn", "derive", "--model", "elman", "--steps", "3"]),
        "import": import_cost(),
        "whole": {m: whole_gradient(m, 5) for m in ("gru", "lstm") if m in models},
    }


def write(results: dict, out: str) -> None:
    from table import markdown
    Path(out + ".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    Path(out + ".md").write_text(markdown(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", help="models to run (default: every model)")
    parser.add_argument("--steps", nargs="*", type=int, default=list(STEPS))
    parser.add_argument("--cap", type=float, default=120.0, help="seconds the baseline may take (default 120)")
    parser.add_argument("--max-paths", type=int, default=10_000, help="largest path form measured")
    parser.add_argument("--out", default=str(HERE / "results"), help="results file stem (.json and .md)")
    parser.add_argument("--header-only", action="store_true",
                        help="re-measure only the floor, elman n = 3, the import and the whole gradients; "
                             "keep the rows")
    args = parser.parse_args()
    if args.header_only:
        results = json.loads(Path(args.out + ".json").read_text())
        results.update(headline(sorted({row["model"] for row in results["rows"]} | {"gru", "lstm"})))
        write(results, args.out)
        return
    from symrnn.catalogue import MODELS
    measure(args.models or list(MODELS), args.steps, args.cap, args.max_paths, args.out)
    print(f"wrote {args.out}.md and {args.out}.json")


if __name__ == "__main__":
    main()
