"""What a TOML file's syntax error means, in a preset author's words: tomllib's message, with the key or
table set twice named, and the fix where a likely slip is recognised (text without its quotes,
Python's True or NaN where TOML writes true and nan). Its line and column are kept."""

from __future__ import annotations

import re

TOML_DUPLICATE = re.compile(
    r"Cannot overwrite a value|Cannot declare \((?P<table>.*)\) twice|Duplicate inline table key '(?P<inline>[^']*)'"
)
# a table's header line, [view] or [[tour.keyframes]]; not an array's row, [1.0, 2.0]
TOML_HEADER = r"""^\s*\[\[?\s*([A-Za-z_"'][\w.\-"' ]*?)\s*\]\]?\s*(?:#.*)?$"""
TOML_WHERE = re.compile(r" \((?P<at>at line \d+, column \d+|at end of document)\)$")


def toml_problem(err: ValueError, source: str = "") -> str:
    """tomllib's message, in plain words where a key or table is set twice (naming the key, read from
    ``source`` at the line tomllib names); its line and column kept."""
    text = str(err)
    duplicate, where = TOML_DUPLICATE.match(text), TOML_WHERE.search(text)
    if text.startswith("Invalid value") and where is not None:
        word = _word_at(source, where["at"])
        if word.lower() in ("true", "false", "nan", "inf") and word not in ("true", "false"):
            return f"malformed TOML: {text}: TOML writes {word} in lower case, {word.lower()}"
        if word and word not in ("true", "false"):  # color_by = class: text that needs its quotes
            return f'malformed TOML: {text}: text goes in double quotes, as in "{word}"'
    if duplicate is None or where is None:
        return f"malformed TOML: {text}"
    table = duplicate["table"]
    if table is not None:  # "('view',)" or "('tour', 'keyframes')": a table header
        name = ".".join(part.strip(" '\"") for part in table.split(",") if part.strip())
        return f"table [{name}] appears twice ({where['at']}): remove one of them or merge their keys"
    if duplicate["inline"]:  # tomllib names the key of an inline table, {layer = 1, layer = 2}
        return f"key {duplicate['inline']!r} is set twice ({where['at']}): remove one of them"
    line = re.match(r"at line (\d+)", where["at"])
    lines = source.splitlines()
    if line is not None and int(line[1]) <= len(lines):
        key = re.match(r"\s*([\w.\-\"']+)\s*=", lines[int(line[1]) - 1])
        if key is not None:
            name = key[1].replace('"', "").replace("'", "")
            earlier = "\n".join(lines[: int(line[1]) - 1])
            if "." in name and not re.search(rf"^\s*{re.escape(name)}\s*=", earlier, re.MULTILINE):
                name = name.split(".")[0]  # layer.x = 2 after layer = 1: it is layer that is set already
            headers = re.findall(TOML_HEADER, earlier, re.MULTILINE)
            table = f" in [{headers[-1]}]" if headers else ""
            return f"key {name!r}{table} is set twice ({where['at']}): remove one of them"
    return f"a key or table appears twice ({where['at']}): remove one of them"


def _word_at(source: str, at: str) -> str:
    """The bare word (letters, digits, _ and -) that starts at tomllib's "at line L, column C" ("" if none)."""
    place = re.match(r"at line (\d+), column (\d+)", at)
    lines = source.splitlines()
    if place is None or not 0 < int(place[1]) <= len(lines):
        return ""
    word = re.match(r"[A-Za-z_][\w\-]*", lines[int(place[1]) - 1][int(place[2]) - 1 :])
    return word[0] if word else ""
