"""Loads GLSL programs from ``shaders/<name>.glsl``: one program per file, both stages in it.

A file starts with a header comment, then ``#shader vertex`` and ``#shader fragment`` sections.
An include line (hash, include, "name") pulls in ``shaders/include/name.glsl``: shared code, no program.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from viz3d.resources import shader_dir


class _BuiltinInputFilter(logging.Filter):
    """Mesa lists gl_VertexID as an active attribute, and vispy then warns that it is unset."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "gl_VertexID" not in record.getMessage()


logging.getLogger("vispy").addFilter(_BuiltinInputFilter())

_STAGE = re.compile(r"^#shader\s+(vertex|fragment)\s*$", re.M)
_INCLUDE = re.compile(r'^#include\s+"([\w-]+)"\s*$', re.M)


@cache
def shader_source(name: str) -> tuple[str, str]:
    """The (vertex, fragment) source of program ``name``, includes expanded."""
    path = shader_dir() / f"{name}.glsl"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in shader_dir().glob("*.glsl")))
        raise FileNotFoundError(f"no shader program '{name}' in {shader_dir()}: known programs are {known}")
    text = _INCLUDE.sub(lambda m: _include(m.group(1)), path.read_text(encoding="utf-8"))
    if not text.isascii():
        # vispy hands GL the length in characters, not bytes: any non-ASCII byte truncates the shader.
        raise ValueError(f"{path} (or a file it includes) has non-ASCII characters: GLSL files must be ASCII")
    parts = _STAGE.split(text)
    stages = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(stages) != {"vertex", "fragment"}:
        raise ValueError(f"{path} must have one '#shader vertex' and one '#shader fragment' section")
    return stages["vertex"].strip() + "\n", stages["fragment"].strip() + "\n"


def _include(name: str) -> str:
    path = shader_dir() / "include" / f"{name}.glsl"
    return path.read_text(encoding="utf-8")


def load_program(name: str, count: int = 0):  # -> vispy.gloo.Program
    """A new ``gloo.Program`` for the named shader file (needs a current GL context to draw)."""
    from vispy import gloo

    vertex, fragment = shader_source(name)
    return gloo.Program(vertex, fragment, count=count)
