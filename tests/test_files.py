"""Writing ``-o FILE`` (symrnn.files) and standard output, as the command line does it.

Contracts (README, "Exit status and errors"; symrnn/files.py): a regular file is replaced
atomically and keeps its mode (a new one gets 0666 less the umask); a device, FIFO or
symlinked file is written through, never replaced; a read-only file or a folder is refused
in one line (exit 2); no temporary file is ever left behind, and a killed run's stale
temporary is removed by the next write; SIGTERM or SIGHUP mid-run writes nothing; a full
disk or a closed pipe on standard output is one line (exit 2), never a traceback; a failed
--check never writes the -o file.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import error_line, ok, run
from symrnn import api as api_module
from symrnn import files as files_module
from symrnn.errors import Interrupted, OutputError
from symrnn.files import remove_stale_temporaries, write_output
from symrnn.report import TOLERANCE, CheckReport, CheckResult

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
ARGS = ("derive", "-n", "2")
"""A quick derivation whose text every test below writes somewhere."""


@pytest.fixture(scope="module")
def text() -> str:
    """What ``symrnn derive -n 2`` prints on standard output."""
    return ok(*ARGS)


def temporaries(folder: Path) -> list[Path]:
    """Every symrnn temporary file anywhere under ``folder``."""
    return sorted(folder.rglob(".symrnn-*.tmp"))


def assert_no_temporaries(folder: Path) -> None:
    assert temporaries(folder) == [], temporaries(folder)


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def start(*args: str, umask: int | None = None, stdout=subprocess.PIPE, **extra) -> subprocess.Popen:
    """``python -m symrnn ARGS`` in a new process, optionally with the given umask."""
    preexec = None if umask is None else (lambda: os.umask(umask))
    return subprocess.Popen([sys.executable, "-m", "symrnn", *args], stdout=stdout, stderr=subprocess.PIPE,
                            preexec_fn=preexec, **extra)


def finished(process: subprocess.Popen, timeout: float = 120) -> tuple[int, bytes, bytes]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out or b"", err


def one_error_line(stderr: bytes) -> str:
    """The one ``Error:`` line a failed process printed, after checking there is nothing else."""
    text = stderr.decode("utf-8")
    assert "Traceback" not in text, text
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("Error: "), text
    return lines[0]


def dead_pid() -> int:
    """The process id of a process that has finished and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def is_char_device(path: str) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


# ---------------------------------------------------------------- 1. modes of new and replaced files


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o000, 0o666)],
                         ids=oct)
def test_a_new_file_gets_0666_less_the_umask(tmp_path, text, umask, expected):
    out = tmp_path / "out.tex"
    status, stdout, stderr = finished(start(*ARGS, "-o", str(out), umask=umask))
    assert (status, stdout, stderr) == (0, b"", b"")
    assert mode(out) == expected == 0o666 & ~umask
    assert out.read_text(encoding="utf-8") == text
    assert_no_temporaries(tmp_path)


@pytest.mark.parametrize("old_mode", [0o640, 0o755, 0o600, 0o604], ids=oct)
@pytest.mark.parametrize("umask", [0o022, 0o077], ids=oct)
def test_a_replaced_file_keeps_its_mode_whatever_the_umask_and_gets_the_whole_new_text(tmp_path, text, old_mode,
                                                                                       umask):
    out = tmp_path / "out.tex"
    out.write_text("an old and much longer text than the new one " * 2000, encoding="utf-8")
    out.chmod(old_mode)
    status, stdout, stderr = finished(start(*ARGS, "-o", str(out), umask=umask))
    assert (status, stdout, stderr) == (0, b"", b"")
    assert mode(out) == old_mode
    assert out.read_text(encoding="utf-8") == text
    assert_no_temporaries(tmp_path)


def test_a_replaced_file_is_replaced_atomically_not_rewritten_in_place(tmp_path, text):
    out = tmp_path / "out.tex"
    out.write_text("old\n", encoding="utf-8")
    with open(out, encoding="utf-8") as reader:  # a reader of the old file sees the old file whole
        result = run(*ARGS, "-o", str(out))
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
        assert reader.read() == "old\n"
    assert out.read_text(encoding="utf-8") == text
    assert_no_temporaries(tmp_path)


@pytest.mark.skipif(not IS_ROOT, reason="only root may give a file to another owner")
def test_a_replaced_file_keeps_its_owner(tmp_path, text):
    out = tmp_path / "out.tex"
    out.write_text("old\n", encoding="utf-8")
    os.chown(out, 4321, 8765)
    out.chmod(0o640)
    result = run(*ARGS, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    info = os.stat(out)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 8765, 0o640)
    assert out.read_text(encoding="utf-8") == text


def test_output_with_a_passing_check_writes_the_file(tmp_path):
    out = tmp_path / "out.tex"
    result = run("derive", "-n", "2", "-g", "tanh", "--check", "-o", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert "passed" in out.read_text(encoding="utf-8")
    assert_no_temporaries(tmp_path)


# ---------------------------------------------------------------- 2. read-only files


@pytest.mark.parametrize("readonly_mode", [0o444, 0o400, 0o044], ids=oct)
def test_a_read_only_file_is_refused_and_left_untouched(tmp_path, readonly_mode):
    out = tmp_path / "out.tex"
    out.write_text("keep me\n", encoding="utf-8")
    out.chmod(readonly_mode)
    line = error_line(run(*ARGS, "-o", str(out)))
    assert str(out) in line and "read-only" in line
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert mode(out) == readonly_mode
    assert tree(tmp_path) == ["out.tex"]


def test_a_read_only_file_is_refused_in_a_process_too(tmp_path):
    out = tmp_path / "out.tex"
    out.write_text("keep me\n", encoding="utf-8")
    out.chmod(0o444)
    status, stdout, stderr = finished(start(*ARGS, "-o", str(out)))
    assert (status, stdout) == (2, b"")
    line = one_error_line(stderr)
    assert str(out) in line and "read-only" in line
    assert out.read_text(encoding="utf-8") == "keep me\n" and mode(out) == 0o444
    assert tree(tmp_path) == ["out.tex"]


def test_a_symlink_to_a_read_only_file_is_refused(tmp_path):
    target = tmp_path / "target.tex"
    target.write_text("keep me\n", encoding="utf-8")
    target.chmod(0o444)
    link = tmp_path / "link.tex"
    link.symlink_to("target.tex")
    line = error_line(run(*ARGS, "-o", str(link)))
    assert "link.tex" in line and "read-only" in line
    assert link.is_symlink() and os.readlink(link) == "target.tex"
    assert target.read_text(encoding="utf-8") == "keep me\n" and mode(target) == 0o444
    assert_no_temporaries(tmp_path)


# ---------------------------------------------------------------- 3. special files are written through


def test_dev_null_is_written_through_and_stays_a_device():
    assert is_char_device("/dev/null")
    result = run(*ARGS, "-o", "/dev/null")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert is_char_device("/dev/null")


def test_dev_full_is_one_error_line_and_stays_a_device():
    assert is_char_device("/dev/full")
    line = error_line(run(*ARGS, "-o", "/dev/full"))
    assert "/dev/full" in line and "No space left on device" in line
    assert is_char_device("/dev/full")


def test_dev_full_in_a_process_is_one_error_line():
    status, stdout, stderr = finished(start(*ARGS, "-o", "/dev/full"))
    assert (status, stdout) == (2, b"")
    assert "No space left on device" in one_error_line(stderr)
    assert is_char_device("/dev/full")


def test_a_fifo_receives_exactly_what_stdout_would_print_and_stays_a_fifo(tmp_path, text):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        result = run(*ARGS, "-o", str(fifo))
        received, _ = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:  # the FIFO was not written (replaced?): do not leave cat waiting
            reader.kill()
            reader.wait()
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert received == text.encode("utf-8")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert tree(tmp_path) == ["pipe"]


def test_a_symlink_to_a_regular_file_writes_the_target_and_stays_a_symlink(tmp_path, text):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "target.tex"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.tex"
    link.symlink_to(Path("real") / "target.tex")
    result = run(*ARGS, "-o", str(link))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "target.tex")
    assert target.read_text(encoding="utf-8") == text
    assert mode(target) == 0o640
    assert tree(tmp_path) == ["link.tex", "real", "real/target.tex"]


def test_a_dangling_symlink_is_written_through_and_stays_a_symlink(tmp_path, text):
    link = tmp_path / "link.tex"
    link.symlink_to("target.tex")
    result = run(*ARGS, "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert (tmp_path / "target.tex").read_text(encoding="utf-8") == text


def test_dev_stdout_on_a_pipe_is_the_same_as_standard_output(text):
    plain = finished(start(*ARGS))
    through = finished(start(*ARGS, "-o", "/dev/stdout"))
    assert plain == (0, text.encode("utf-8"), b"")
    assert through == plain


def test_dev_stdout_redirected_to_a_file_leaves_the_text_in_the_file(tmp_path, text):
    out = tmp_path / "redirected.tex"
    with open(out, "w") as stdout:
        status, _, stderr = finished(start(*ARGS, "-o", "/dev/stdout", stdout=stdout))
    assert (status, stderr) == (0, b"")
    assert out.read_text(encoding="utf-8") == text
    assert_no_temporaries(tmp_path)


# ---------------------------------------------------------------- 4. folders and bad names


def test_an_existing_folder_is_refused(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in (str(folder), str(folder) + os.sep):
        line = error_line(run(*ARGS, "-o", name))
        assert name in line and "it is a folder" in line
    assert tree(tmp_path) == ["folder"]


def test_a_name_ending_in_a_separator_is_refused(tmp_path):
    name = str(tmp_path / "nodir") + os.sep
    line = error_line(run(*ARGS, "-o", name))
    assert name in line and f"cannot end in {os.sep}" in line
    assert tree(tmp_path) == []


def test_a_missing_folder_is_named(tmp_path):
    line = error_line(run(*ARGS, "-o", str(tmp_path / "missing" / "x.tex")))
    assert f"folder {tmp_path / 'missing'} does not exist" in line
    assert tree(tmp_path) == []


def test_a_file_used_as_a_folder_is_one_error_line(tmp_path):
    (tmp_path / "file").write_text("keep me\n", encoding="utf-8")
    line = error_line(run(*ARGS, "-o", str(tmp_path / "file" / "x.tex")))
    assert "file/x.tex" in line
    assert tree(tmp_path) == ["file"]
    assert (tmp_path / "file").read_text(encoding="utf-8") == "keep me\n"


def test_an_empty_name_is_refused(tmp_path):
    line = error_line(run(*ARGS, "-o", ""))
    assert "-o needs a file name" in line
    assert tree(tmp_path) == []


# ---------------------------------------------------------------- 5. temporary files


def test_a_stale_temporary_of_a_dead_process_is_removed_by_the_next_write(tmp_path, text):
    dead = dead_pid()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        stale = tmp_path / f".symrnn-{dead}-abc.tmp"
        mine = tmp_path / f".symrnn-{os.getpid()}-abc.tmp"  # the test process: alive
        sleeping = tmp_path / f".symrnn-{sleeper.pid}-x_9.tmp"
        others = [tmp_path / name for name in (f".symrnn-{dead}-abc.tmp.bak", f"symrnn-{dead}-abc.tmp",
                                               f".symrnn-{dead}.tmp", ".symrnn-abc-def.tmp", "notes.tmp")]
        for path in (stale, mine, sleeping, *others):
            path.write_text("half\n", encoding="utf-8")
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / stale.name).write_text("half\n", encoding="utf-8")
        status, stdout, stderr = finished(start(*ARGS, "-o", str(tmp_path / "out.tex")))
        assert (status, stdout, stderr) == (0, b"", b"")
        assert not stale.exists()
        assert mine.exists() and sleeping.exists()
        assert all(path.exists() for path in others)
        assert (elsewhere / stale.name).exists()  # only the folder written into is cleaned
        assert (tmp_path / "out.tex").read_text(encoding="utf-8") == text
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_failed_write_also_removes_a_stale_temporary_and_leaves_none(tmp_path, monkeypatch):
    stale = tmp_path / f".symrnn-{dead_pid()}-abc.tmp"
    stale.write_text("half\n", encoding="utf-8")

    def full(handle, old):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_module, "_set_mode", full)
    line = error_line(run(*ARGS, "-o", str(tmp_path / "out.tex")))
    assert "out.tex" in line and "No space left on device" in line
    assert tree(tmp_path) == []


def test_remove_stale_temporaries_removes_only_the_dead_processes_files(tmp_path):
    dead = dead_pid()
    names = [f".symrnn-{dead}-abc.tmp", f".symrnn-{dead}-x_Y9.tmp", f".symrnn-{os.getpid()}-abc.tmp",
             f".symrnn-{os.getppid()}-abc.tmp", "out.tex", f".symrnn-{dead}-abc.tmp~"]
    for name in names:
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    assert remove_stale_temporaries(str(tmp_path)) == (f".symrnn-{dead}-abc.tmp", f".symrnn-{dead}-x_Y9.tmp")
    assert tree(tmp_path) == sorted(names[2:])
    assert remove_stale_temporaries(str(tmp_path)) == ()


def test_remove_stale_temporaries_of_a_missing_folder_is_nothing(tmp_path):
    assert remove_stale_temporaries(str(tmp_path / "missing")) == ()


def test_a_temporary_with_an_impossible_pid_does_not_break_writing(tmp_path, text):
    (tmp_path / ".symrnn-99999999999-abc.tmp").write_text("x\n", encoding="utf-8")
    status, stdout, stderr = finished(start(*ARGS, "-o", str(tmp_path / "out.tex")))
    assert (status, stdout, stderr) == (0, b"", b"")
    assert (tmp_path / "out.tex").read_text(encoding="utf-8") == text


def test_remove_stale_temporaries_survives_an_impossible_pid(tmp_path):
    (tmp_path / ".symrnn-99999999999-abc.tmp").write_text("x\n", encoding="utf-8")
    assert remove_stale_temporaries(str(tmp_path)) in ((), (".symrnn-99999999999-abc.tmp",))


def test_no_temporary_is_left_after_successful_and_failed_writes(tmp_path):
    out = tmp_path / "out.tex"
    assert run(*ARGS, "-o", str(out)).exit_code == 0
    assert_no_temporaries(tmp_path)
    assert run(*ARGS, "-o", str(out)).exit_code == 0  # replacing
    assert_no_temporaries(tmp_path)
    out.chmod(0o444)
    error_line(run(*ARGS, "-o", str(out)))
    assert_no_temporaries(tmp_path)
    error_line(run("derive", "-m", "nosuch", "-o", str(tmp_path / "other.tex")))
    assert tree(tmp_path) == ["out.tex"]


# ---------------------------------------------------------------- 6. interrupted writes


@pytest.mark.parametrize("exists", [False, True], ids=["new", "replacing"])
@pytest.mark.parametrize("stop", [Interrupted(signal.SIGTERM), Interrupted(signal.SIGHUP), KeyboardInterrupt()],
                         ids=["SIGTERM", "SIGHUP", "Ctrl-C"])
def test_a_signal_mid_write_propagates_and_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, exists,
                                                                                 stop):
    out = tmp_path / "out.tex"
    if exists:
        out.write_text("keep me\n", encoding="utf-8")
        out.chmod(0o640)
    written = []

    def interrupted(handle, old):
        written.append(os.fstat(handle).st_size)  # the text is already in the temporary file
        raise stop

    monkeypatch.setattr(files_module, "_set_mode", interrupted)
    with pytest.raises(type(stop)) as raised:
        write_output(str(out), "new text\n" * 1000)
    assert raised.value is stop
    assert written == [len("new text\n") * 1000]
    if exists:
        assert out.read_text(encoding="utf-8") == "keep me\n" and mode(out) == 0o640
    assert tree(tmp_path) == (["out.tex"] if exists else [])


def test_an_os_error_mid_write_is_an_output_error_and_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "out.tex"
    out.write_text("keep me\n", encoding="utf-8")

    def failing_replace(source, destination):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files_module.os, "replace", failing_replace)
    with pytest.raises(OutputError, match="out.tex: Input/output error"):
        write_output(str(out), "new\n")
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert tree(tmp_path) == ["out.tex"]


SLOW = ("derive", "-m", "gru", "-n", "200", "--wrt", "all", "--check")
"""A derivation that takes several seconds (8 to 16 on two cores), so that a signal finds it mid-run."""


def wait_until_it_handles(process: subprocess.Popen, signum: int, timeout: float = 60) -> None:
    """Wait until ``process`` has installed its handler for ``signum`` (Linux: SigCgt in /proc/PID/status)."""
    status = Path(f"/proc/{process.pid}/status")
    if not status.exists():
        time.sleep(3)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) & (1 << (signum - 1)):
            return
        time.sleep(0.05)
    pytest.fail(f"the process did not install a handler for signal {signum}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stopping_signal_mid_run_writes_nothing_and_exits_128_plus_the_signal(tmp_path, signum):
    out = tmp_path / "out.tex"
    process = start(*SLOW, "-o", str(out))
    try:
        wait_until_it_handles(process, signal.SIGTERM)
        time.sleep(0.5)
        assert process.poll() is None, "the run finished before it could be stopped"
        process.send_signal(signum)
        status, stdout, stderr = finished(process, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (status, stdout) == (128 + signum, b"")
    line = one_error_line(stderr)
    assert line.startswith(f"Error: stopped by {signal.Signals(signum).name}")
    assert tree(tmp_path) == []


def test_ctrl_c_mid_run_is_one_error_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out.tex"
    process = start(*SLOW, "-o", str(out))
    try:
        wait_until_it_handles(process, signal.SIGTERM)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        status, stdout, stderr = finished(process, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert tree(tmp_path) == []
    assert (status, stdout) == (128 + signal.SIGINT, b"")
    assert one_error_line(stderr).startswith("Error: stopped by SIGINT")


# ---------------------------------------------------------------- 7. standard output


@pytest.mark.parametrize("args", [ARGS, ("models",), ("models", "-f", "json"), ("paths", "-n", "5"),
                                  ("paths", "-n", "5", "-f", "json")], ids=" ".join)
def test_a_full_standard_output_is_one_error_line(args):
    with open("/dev/full", "w") as full:
        status, _, stderr = finished(start(*args, stdout=full))
    assert status == 2
    assert one_error_line(stderr).startswith("Error: cannot write to standard output")
    assert "No space left on device" in stderr.decode()
    assert is_char_device("/dev/full")


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("derive", "--help")], ids=" ".join)
def test_a_full_standard_output_for_help_and_version_is_one_error_line(args):
    with open("/dev/full", "w") as full:
        status, _, stderr = finished(start(*args, stdout=full))
    assert status == 2
    assert one_error_line(stderr).startswith("Error: cannot write to standard output")


def test_a_full_standard_output_with_no_arguments_is_one_error_line():
    with open("/dev/full", "w") as full:
        status, _, stderr = finished(start(stdout=full))
    assert status == 2
    assert one_error_line(stderr).startswith("Error: cannot write to standard output")


def test_a_closed_pipe_is_one_error_line():
    process = start("paths", "-m", "gru", "-n", "12", "--wrt", "U_z", "--limit", "100000")
    try:
        assert process.stdout.read(100)
        process.stdout.close()
        stderr = process.stderr.read()
        status = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert status == 2
    line = one_error_line(stderr)
    assert line.startswith("Error: cannot write to standard output") and "pipe" in line


# ---------------------------------------------------------------- 8. a failed --check with -o


def fail_checks(monkeypatch, problem: str | None = None) -> None:
    """Make every --check fail (by an error, or by a problem): the library's check entry points are replaced."""
    if problem is None:
        result = CheckResult("tanh", 3e-3, 2e-3, False)
    else:
        result = CheckResult("tanh", None, None, False, None, problem)
    report = CheckReport((("m", 3), ("d", 2)), 0, TOLERANCE, 1e-20, (result,))
    # --wrt all checks every parameter at once: one report per part of the Gradient
    monkeypatch.setattr(api_module, "_checked", lambda result, seed: (report,) * len(result.parts)
                        if isinstance(result, api_module.Gradient) else report)


@pytest.mark.parametrize("wrt", [[], ["--wrt", "all"]], ids=["one", "all"])
@pytest.mark.parametrize("exists", [False, True], ids=["new", "existing"])
def test_a_failed_check_with_output_writes_nothing(tmp_path, monkeypatch, wrt, exists):
    fail_checks(monkeypatch)
    out = tmp_path / "out.tex"
    if exists:
        out.write_text("keep me\n", encoding="utf-8")
        out.chmod(0o640)
    line = error_line(run(*ARGS, *wrt, "--check", "-o", str(out)), status=1)
    assert "check failed" in line and f"{out} was not written" in line
    assert "relative error 3.0e-03 exceeds 1e-06" in line
    if exists:
        assert out.read_text(encoding="utf-8") == "keep me\n" and mode(out) == 0o640
        assert tree(tmp_path) == ["out.tex"]
    else:
        assert tree(tmp_path) == []


@pytest.mark.parametrize("wrt", [[], ["--wrt", "all"]], ids=["one", "all"])
def test_a_failed_check_without_output_prints_the_document_and_exits_1(monkeypatch, wrt):
    fail_checks(monkeypatch)
    result = run(*ARGS, *wrt, "--check")
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and r"\subsection*{Elman RNN" in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: check failed")
    assert "was not written" not in lines[0]


def strict_json(text: str):
    """JSON as the standard defines it: NaN and Infinity are not JSON."""
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("wrt", [[], ["--wrt", "all"]], ids=["one", "all"])
def test_a_check_with_a_problem_names_it_and_its_json_is_valid(tmp_path, monkeypatch, wrt):
    problem = "the forward pass is not finite at the drawn values"
    fail_checks(monkeypatch, problem)
    result = run(*ARGS, *wrt, "--check", "-f", "json")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: check failed")
    assert f"tanh: {problem}" in lines[0]
    data = strict_json(result.stdout)
    assert data["check"]["passed"] is False
    if not wrt:
        assert data["check"]["results"] == [{"activation": "tanh", "passed": False, "problem": problem}]
    for fmt in ("latex", "markdown"):
        shown = run(*ARGS, *wrt, "--check", "-f", fmt)
        assert shown.exit_code == 1 and shown.stderr == result.stderr
    line = error_line(run(*ARGS, *wrt, "--check", "-f", "json", "-o", str(tmp_path / "out.json")), status=1)
    assert problem in line and "out.json was not written" in line
    assert tree(tmp_path) == []


def test_a_failed_check_json_on_stdout_is_valid_json(monkeypatch):
    fail_checks(monkeypatch)
    result = run(*ARGS, "--check", "-f", "json")
    assert result.exit_code == 1
    data = strict_json(result.stdout)
    assert data["check"]["passed"] is False
    assert data["check"]["results"][0]["path_sum_error"] == 3e-3
