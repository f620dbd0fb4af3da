"""The code style the project keeps (pyproject.toml, [tool.ruff]): pycodestyle errors, pyflakes and sorted imports,
lines of at most 120 characters, checked by ruff over the package, the tests and the benchmarks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "symrnn", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    """Every module of the package type-checks (pyproject.toml, [tool.mypy])."""
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_share_helpers_only_through_helpers_py():
    """A test file imports helpers.py or the oracles, never another test file or conftest.py."""
    offenders = [f"{path.name}: {line.strip()}" for path in sorted((ROOT / "tests").glob("*.py"))
                 for line in path.read_text(encoding="utf-8").splitlines()
                 if line.startswith(("from test_", "import test_", "from conftest", "import conftest"))]
    assert offenders == []
