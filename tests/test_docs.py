"""Every symrnn command the README and examples/README.md show in a shell block runs as shown (exit 0, or 1 where
the text says a check fails), so the documentation cannot drift from the tool; every typeset answer in
examples/answers/ is rendered, linked and compiles."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from helpers import run

ROOT = Path(__file__).resolve().parent.parent


def shown_commands() -> list[tuple[str, str]]:
    """(file, command) for every line of a ```sh block that starts with symrnn."""
    found = []
    for name in ("README.md", "examples/README.md"):
        for block in re.findall(r"```sh\n(.*?)```", (ROOT / name).read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                command = line.split(" #")[0].strip()
                if command.startswith("symrnn "):
                    found.append((name, command))
    return found


COMMANDS = shown_commands()


def test_the_documentation_shows_commands():
    assert len(COMMANDS) >= 25


@pytest.mark.parametrize("where, command", COMMANDS, ids=[f"{w}: {c}" for w, c in COMMANDS])
def test_a_documented_command_runs_as_shown(where, command, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    words = shlex.split(command)[1:]
    if "-o" in words:  # write into a temporary folder, not the checkout
        target = words[words.index("-o") + 1]
        words[words.index("-o") + 1] = str(tmp_path / Path(target).name) + ("/" if target.endswith("/") else "")
    if "my-cell.yaml" in words:
        words[words.index("my-cell.yaml")] = "examples/models/mgu.yaml"
    if "svg" in words and not __import__("shutil").which("dot"):
        pytest.skip("Graphviz's dot is not installed")
    result = run(*words)
    assert result.exit_code == 0, f"{where}: {command}\n{result.stderr or result.exception}"


def test_the_readmes_check_example_is_what_the_command_prints():
    from helpers import ok

    printed = ok("derive", "-m", "elman", "-n", "3", "--check", "-f", "markdown")
    shown = (ROOT / "README.md").read_text(encoding="utf-8").split("For `symrnn derive -m elman -n 3 --check -f "
                                                                  "markdown`:\n\n```\n")[1].split("```")[0]
    assert shown.strip() in printed


def _answer_sheets():
    """examples/answers/build.py's table of questions, loaded from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_answers", ROOT / "examples" / "answers" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.QUESTIONS


ANSWERS = _answer_sheets()


def test_every_answer_sheet_is_rendered_linked_and_shown_with_its_command():
    """Each question's PNGs exist and the examples README links them beside the command it shows; no PNG is stale."""
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    expected = set()
    for name, command, pages in ANSWERS:
        assert command in readme, command
        for page in range(1, pages + 1):
            png = f"{name}.png" if page == 1 else f"{name}-{page}.png"
            expected.add(png)
            assert (ROOT / "examples" / "answers" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
            assert f"(answers/{png})" in readme, png
    assert {p.name for p in (ROOT / "examples" / "answers").glob("*.png")} == expected


@pytest.mark.parametrize("name, command", [(n, c) for n, c, _ in ANSWERS], ids=[n for n, _, _ in ANSWERS])
def test_every_answer_sheet_compiles(name, command, tmp_path, monkeypatch):
    from helpers import compile_latex, ok

    monkeypatch.chdir(ROOT)
    compile_latex(tmp_path, ok(*shlex.split(command)[1:], "--standalone"))
