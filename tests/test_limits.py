"""Every limit is documented with its figure: README's "Errors and limits" table is written from the constants,
so changing one without the README fails here."""

from __future__ import annotations

from pathlib import Path

from symrnn import checking as check
from symrnn import limits
from symrnn.catalogue import MAX_LAYERS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Errors and limits"):README.index("## Notation")]


def test_every_limit_is_in_the_readme_table_with_its_figure():
    expected = [
        f"| `derive --steps` | 1..{limits.MAX_STEPS:,} |",
        f"| `paths --steps` | 1..{limits.MAX_COUNT_STEPS:,} |",
        f"| `paths --limit` | 0..{limits.MAX_LIST:,} (default 20) |",
        f"| `derive --max-paths` | 1..{limits.MAX_PATHS_LIMIT:,} (default {limits.MAX_PATHS:,}) |",
        f"| `--layers` | 1..{MAX_LAYERS} |",
        f"| `--seed` | 0..{limits.MAX_SEED:,} |",
        f"| `--digits` | 1..{limits.MAX_DIGITS} (default {limits.DIGITS}) |",
        f"| `--size` | 1..{limits.MAX_ROUND_SIZE} (default {limits.ROUND_SIZE}) |",
        f"| values file | {limits.MAX_VALUES_BYTES // 2**20} MiB (YAML {limits.MAX_YAML_BYTES // 2**20} MiB), depth "
        f"{limits.MAX_VALUES_DEPTH}, {limits.MAX_VALUES_ENTRIES:,} entries after YAML aliases |",
        f"| `--check` | complex steps up to {check.COMPLEX_STEP_BUDGET:,} (entries × nodes), reverse mode beyond; "
        f"{check.ATTEMPTS} draws |",
        f"at most {limits.MAX_TEMPLATE_ITEMS:,} characters, items or digits",
        f"| model file | {limits.MAX_MODEL_BYTES // 2**20} MiB; parentheses and calls nested at most "
        f"{limits.MAX_NESTING} deep; its YAML bounded as a values file's (depth {limits.MAX_VALUES_DEPTH}, "
        f"{limits.MAX_VALUES_ENTRIES:,} entries after aliases) |",
    ]
    missing = [row for row in expected if row not in SECTION]
    assert not missing, missing


def test_a_new_limit_needs_a_row_in_the_test_above():
    names = [name for name in vars(limits) if name.startswith("MAX_")]
    assert len(names) == 15, names
