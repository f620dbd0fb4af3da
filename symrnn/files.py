"""The one place symrnn writes a file (``-o FILE``).

A regular file is replaced atomically (a temporary file in the same folder, then a rename), so a
reader sees the old file or the whole new one, never half of one; the new file keeps the mode of
the one it replaces, or gets what the umask gives. Anything else a path can name (a terminal, a
FIFO, ``/dev/stdout``, ``/dev/null``) is written through, since renaming over it would destroy it.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from .errors import OutputError

TEMPORARY_PREFIX = ".symrnn-"
TEMPORARY_SUFFIX = ".tmp"
_TEMPORARY = re.compile(r"^\.symrnn-(\d+)-[A-Za-z0-9_]+\.tmp$")
"""A temporary file's name holds its writer's process id, so a later run can remove one whose
writer was killed (``kill -9`` leaves no chance to clean up)."""


def write_output(path: str, text: str | bytes) -> None:
    """Write ``text`` (or bytes: a PDF) to ``path``: atomically for a regular file, straight through for a device or
    FIFO."""
    if not path:
        raise OutputError("-o needs a file name (or leave it out to print to standard output)")
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a folder; give a file name, such as "
                          f"{os.path.join(path, 'derivation.tex')}")
    if path.endswith(os.sep):
        raise OutputError(f"cannot write {path}: a file name cannot end in {os.sep} (and there is no such folder)")
    try:
        target = os.stat(path)
    except FileNotFoundError:  # a new file, or a symlink to one: create what the link names, keep the link
        return _replace(os.path.realpath(path), text, None)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    if not stat.S_ISREG(target.st_mode):
        return _write_through(path, text)
    if not target.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only; make it writable (chmod u+w) or choose "
                          "another file")
    return _replace(os.path.realpath(path), text, target)


def _write_through(path: str, text: str | bytes) -> None:
    """A device, FIFO or terminal: open it and write, as a shell's ``>`` would."""
    try:
        with open(path, **_mode(text)) as stream:
            stream.write(text)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None


def _mode(data: str | bytes) -> dict:
    """How to open a file for ``data``: bytes as they are, text as UTF-8 with Unix line ends."""
    return {"mode": "wb"} if isinstance(data, bytes) else {"mode": "w", "encoding": "utf-8", "newline": "\n"}


def _replace(path: str, text: str | bytes, old: os.stat_result | None) -> None:
    """A temporary file beside ``path``, given the right mode, then renamed over it."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    remove_stale_temporaries(folder)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-",
                                             suffix=TEMPORARY_SUFFIX)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, **_mode(text)) as stream:
            stream.write(text)
            stream.flush()
            _set_mode(stream.fileno(), old)
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    except BaseException:  # a signal or Ctrl-C mid-write: leave no temporary file behind
        _remove(temporary)
        raise


def _set_mode(handle: int, old: os.stat_result | None) -> None:
    """The replaced file's mode (and owner, where allowed), or for a new file 0666 less the umask."""
    if old is not None:
        os.fchmod(handle, stat.S_IMODE(old.st_mode))
        try:
            os.fchown(handle, old.st_uid, old.st_gid)
        except OSError:  # only root may give a file away; the mode still carries over
            pass
        return
    os.fchmod(handle, 0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: str) -> tuple[str, ...]:
    """Remove the temporary files of earlier runs that were killed before they could (their process is gone)."""
    removed = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ()
    for name in names:
        match = _TEMPORARY.match(name)
        if match and not _running(int(match.group(1))):
            _remove(os.path.join(folder, name))
            removed.append(name)
    return tuple(removed)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # exists but is someone else's, or no process could have that id: leave it
        return True
    return True


def _remove(path: str) -> None:
    try:
        Path(path).unlink()
    except OSError:
        pass
