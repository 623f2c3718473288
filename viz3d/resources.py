"""Finds the files that ship beside the code: ``shaders/`` and ``presets/``.

In a source checkout they sit at the top of the repository; in an installed wheel they are copied
inside the package (see ``pyproject.toml``). Both layouts are searched, the package first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the directory holding the shipped ``name`` files (``"shaders"`` or ``"presets"``)."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"viz3d's {name}/ folder is missing beside {_PACKAGE_DIR}: reinstall the package (pip install viz3d)"
    )


def shader_dir() -> Path:
    return resource_dir("shaders")


def preset_dir() -> Path:
    return resource_dir("presets")
