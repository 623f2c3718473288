"""User-facing errors: each carries one line that names the problem and the fix.

The CLI prints ``viz3d: error: <message>`` and exits with ``exit_code``; library callers get the
exception and can show ``str(err)`` as it is.
"""

from __future__ import annotations


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
