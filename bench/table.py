"""The benchmark results as a Markdown table (bench/results.md)."""

from __future__ import annotations


def _seconds(result: dict | None, cap: float | None = None) -> str:
    if result is None:
        return "–"
    if result.get("timed_out"):
        return f"> {cap:g} s" if cap else "timed out"
    if result.get("seconds") is None:
        return "failed"
    return f"{result['seconds']:.2f} s"


def _size(result: dict | None) -> str:
    if not result or result.get("latex_bytes") is None:
        return "–"
    size = result["latex_bytes"]
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def _memory(result: dict | None) -> str:
    return "–" if not result or result.get("peak_mb") is None else f"{result['peak_mb']:.0f} MB"


def _count(count: int) -> str:
    text = str(count)
    return text if len(text) <= 12 else f"{text[:4]}…e{len(text) - 1} ({len(text)} digits)"


def _largest_baseline(rows: list[dict], model: str) -> dict | None:
    """The baseline row of `model` with the most steps that finished within the cap."""
    finished = [row for row in rows if row["model"] == model and row["baseline"]
                and row["baseline"].get("latex_bytes") is not None]
    return max(finished, key=lambda row: row["steps"], default=None)


def _whole_size(result: dict, baseline_row: dict | None) -> str:
    if result.get("latex_bytes") is None:
        return ""
    separate = _size({"latex_bytes": result["separate_latex_bytes"]})
    text = (f", {_memory(result)}, {_size(result)} of LaTeX for all {result['parameters']} parameters "
            f"({separate} as {result['parameters']} separate documents)")
    if baseline_row is None:
        return text
    base = baseline_row["baseline"]["latex_bytes"]
    return (text + f"; the baseline's one entry at n = {baseline_row['steps']} (its largest within the cap) is "
            f"{_size(baseline_row['baseline'])}, {base / result['latex_bytes']:.0f}× that")


def markdown(results: dict) -> str:
    floor = results["sympy_import"]["seconds"]
    elman = results["elman_n3"]["seconds"]
    imports = results["import"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {results['machine']}. Regenerate with `python bench/run.py` (about an hour; "
        f"`--models`, `--steps` and `--cap` narrow it). Each figure is one run in a fresh process.",
        "",
        f"- `python -c \"import sympy\"`: {floor:.2f} s (best of 3).",
        f"- `symrnn derive --model elman --steps 3`: {elman:.2f} s (best of 3), {elman / floor:.1f}× the SymPy import.",
        f"- Import (python -X importtime of symrnn.cli): {imports.get('total_s', 0):.3f} s in all, of which SymPy "
        f"{imports['sympy_cumulative_s']:.3f} s, so symrnn adds "
        f"{imports.get('total_s', 0) - imports['sympy_cumulative_s']:.3f} s "
        f"(its own modules' self time {imports['symrnn_self_s']:.3f} s; the rest is click, Jinja2).",
    ]
    for model, result in results["whole"].items():
        lines.append(f"- `symrnn derive -m {model} -n 5 --wrt all --check` (every parameter, factored form): "
                     f"{_seconds(result)}{_whole_size(result, _largest_baseline(results['rows'], model))}.")
    lines += [
        "",
        f"symrnn's times are whole runs of `symrnn derive ... --standalone -o FILE` in a fresh process (start-up "
        f"and the SymPy import included); memory is that process's peak RSS. Baseline: SymPy `diff` of the expanded "
        f"scalar loss (sizes 2, real symbols) for one entry of the gradient, timing `diff` and `latex` only "
        f"(building the expression and start-up excluded), capped at {results['cap']:g} s; after a model's first "
        f"timeout larger n are not run (–). Path form: only up to 10000 paths (–: more).",
        "",
        "| model | n | paths | path form: time | memory | LaTeX | factored: time | memory | LaTeX "
        "| baseline: time | LaTeX |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["rows"]:
        paths, factored, base = row["paths_form"], row["factored"], row["baseline"]
        lines.append(f"| {row['model']} | {row['steps']} | {_count(row['paths'])} | {_seconds(paths)} | "
                     f"{_memory(paths)} | {_size(paths)} | {_seconds(factored)} | {_memory(factored)} | "
                     f"{_size(factored)} | {_seconds(base, results['cap'])} | {_size(base)} |")
    return "\n".join(lines) + "\n"
