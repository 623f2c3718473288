"""Output files: checked before any work starts, written under a temporary name, then renamed.

An existing file is never replaced unless the user said ``--force``; a folder that cannot be written
is reported in one line before training begins, not after.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from viz3d.errors import OutputPathError


def check_output(path: str | os.PathLike[str], force: bool = False, suffixes: tuple[str, ...] = ()) -> Path:
    """Validate an output path up front; returns it as a `Path`."""
    out = Path(path)
    if suffixes and out.suffix.lower() not in suffixes:
        raise OutputPathError(f"cannot write {out}: expected a file name ending in {' or '.join(suffixes)}")
    if out.is_dir():
        raise OutputPathError(f"cannot write {out}: it is a folder; name a file inside it")
    if out.exists() and not force:
        raise OutputPathError(
            f"{out} already exists: pass --force (force=True from Python) to overwrite it, or choose another name"
        )
    check_folder(out.parent if str(out.parent) else Path("."), out)
    return out


def check_folder(folder: Path, out: str | os.PathLike[str]) -> None:
    """That files can be made in ``folder``, where ``out`` (named as the user named it) is written."""
    if not folder.is_dir():
        taken = next((part for part in (folder, *folder.parents) if part.exists() and not part.is_dir()), None)
        if taken is not None:
            raise OutputPathError(f"cannot write {out}: {taken} is a file, not a folder; choose another output path")
        raise OutputPathError(f"cannot write {out}: folder {folder} does not exist; create it first")
    if not _can_create_in(folder):
        raise OutputPathError(f"cannot write {out}: folder {folder} is not writable; choose another output path")


def _can_create_in(folder: Path) -> bool:
    """Try it: permissions, read-only file systems and root's privileges all answer the same way."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".viz3d-write-check.", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def _read_umask() -> int:
    umask = os.umask(0)  # the only way to read it is to set it, process-wide
    os.umask(umask)
    return umask


UMASK = _read_umask()  # read once, at import, before any thread that writes files has started


def write_atomically(out: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` beside ``out``, then rename the result onto ``out``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix, dir=out.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
