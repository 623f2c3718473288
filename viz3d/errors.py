"""User-facing errors: each carries one line that names the problem and the fix.

The CLI prints ``viz3d: error: <message>`` and exits with ``exit_code``; library callers get the
exception and can show ``str(err)`` as it is.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO


class Viz3dError(Exception):
    """A problem the user can fix: bad input, a missing file, a refused overwrite."""

    exit_code = 2


class PresetError(Viz3dError):
    """A preset that does not exist or does not validate."""


class GLContextError(Viz3dError):
    """No OpenGL context could be made (no display, no EGL, too old a GL)."""

    exit_code = 3


class OutputPathError(Viz3dError):
    """An output file that cannot be written, or exists and may not be overwritten."""


def unexpected_error_line(err: BaseException) -> str:
    """One line for an error no check foresaw: what it says, where it was raised, and what to do.

    Running out of memory has a fix of its own. Anything else is either a preset whose model, data
    and probe do not fit together in a way the checks missed, or a bug: the line names the file and
    line it came from, so the reader can tell which, and says how to see the whole traceback.
    """
    first = str(err).strip().splitlines()[0].rstrip(".") if str(err).strip() else ""
    if "out of memory" in first.lower() or isinstance(err, MemoryError):
        said = f" ({first})" if first else ""
        return f"out of memory{said}: draw fewer --points, or use a smaller [probe] or model"
    first = first or "(no message)"
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = ""
    if tb is not None:
        where_file = tb.tb_frame.f_code.co_filename
        parts = where_file.replace("\\", "/").split("/")
        if "site-packages" in parts:  # torch/nn/functional.py, viz3d/... when installed
            where_file = "/".join(parts[len(parts) - parts[::-1].index("site-packages") :])
        elif os.path.isabs(where_file) and where_file.startswith(os.getcwd() + os.sep):
            where_file = os.path.relpath(where_file)
        where = f" at {where_file}:{tb.tb_lineno}"
    return (
        f"{type(err).__name__}{where}: {first}. If you edited the preset, check that its [model], [dataset] and "
        "[probe] fit together; otherwise this is a viz3d bug, please report it (VIZ3D_DEBUG=1 shows the traceback)"
    )


def note(message: str) -> None:
    """A one-line note on stderr (``viz3d: note: ...``): something done differently from what was asked."""
    say(f"viz3d: note: {message}")


def say(line: str, end: str = "\n", stream: TextIO | None = None) -> None:
    """``line`` on ``stream`` (stderr by default), where there still is one: after the terminal is closed
    (SIGHUP), writing to it fails (EIO), and a recording must still finish its file. The stream then goes
    to /dev/null, so that neither later lines nor Python's flush at exit fail again."""
    stream = sys.stderr if stream is None else stream
    try:
        print(line, end=end, file=stream, flush=True)
    except OSError:
        with contextlib.suppress(OSError, ValueError):  # ValueError: a stream with no file descriptor
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def first_line(err: BaseException) -> str:
    """The first line of an error's message, or its type's name where it has none."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def error_summary(err: BaseException) -> str:
    """What failed, in a few words: PyOpenGL's GLError and EGLError print a dump of the call's arguments,
    whose first line is only ``GLError(``."""
    operation = getattr(getattr(err, "baseOperation", None), "__name__", None)
    if operation and getattr(err, "err", None) is not None:
        return f"{operation} gave {err.err!r}"
    return f"{type(err).__name__}: {first_line(err)[:160]}" if str(err).strip() else type(err).__name__
