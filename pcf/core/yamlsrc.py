"""YAML loading that remembers where every value came from.

Model and PCR files are validated after loading; a validation error names a path of keys
and indices (``processes[2].inputs[0].amount``). :func:`load_yaml` returns the data together
with a :class:`LineMap` so that such a path can be turned back into ``file:line``.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SourceError

Loc = tuple  # tuple of str (mapping keys) and int (sequence indices)


@dataclass
class LineMap:
    """Line numbers (1-based) of every mapping key and sequence item of a YAML document.

    ``lines[loc]`` is the line where the value at ``loc`` starts; for a mapping key it is the
    line of the key itself.
    """

    path: str
    lines: dict[Loc, int] = field(default_factory=dict)
    notes: dict[Loc, str] = field(default_factory=dict)
    """Text added to errors at a location and below it, e.g. which scenario swapped an input."""

    def line_of(self, loc: Loc) -> int | None:
        """Line of ``loc`` or of its nearest ancestor that has one.

        Parameters
        ----------
        loc : tuple of str | int
            Path of keys and indices, e.g. ``("processes", 0, "inputs", 1, "amount")``.

        Returns
        -------
        int or None
            1-based line number, None for an empty document.
        """
        loc = tuple(loc)
        while True:
            if loc in self.lines:
                return self.lines[loc]
            if not loc:
                return None
            loc = loc[:-1]

    def note_of(self, loc: Loc) -> str:
        """The note of ``loc`` or of its nearest ancestor that has one, else ``""``."""
        loc = tuple(loc)
        while True:
            if loc in self.notes:
                return self.notes[loc]
            if not loc:
                return ""
            loc = loc[:-1]


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = loc + (key,)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = loc + (i,)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines)


#: parsed documents by (path, SHA-256 of the text), pickled: a batch loads the same model file
#: for every SKU, and parsing a 450-line model costs ~170 ms, unpickling ~0.2 ms.
_PARSED: "OrderedDict[tuple[str, str], bytes]" = OrderedDict()
_PARSED_MAX = 32


def load_yaml(path: str | Path, error: type[SourceError] = SourceError) -> tuple[Any, LineMap]:
    """Load a YAML file with safe construction and record the line of every value.

    The parse of a file is remembered by its path and content hash (the last 32 files), so
    loading an unchanged file again costs a copy, and every caller gets its own copy.

    Parameters
    ----------
    path : str or Path
        The file to read (UTF-8).
    error : type of SourceError
        The exception class to raise, e.g. :class:`pcf.core.errors.ModelError`.

    Returns
    -------
    data : Any
        The document, as plain dicts, lists and scalars.
    lines : LineMap
        Where each value came from.

    Raises
    ------
    SourceError (of class ``error``)
        The file does not exist, is not UTF-8, or is not valid YAML (with the parser's line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise error(path, None, f"not UTF-8 text ({exc.reason})") from None
    key = (str(path), hashlib.sha256(text.encode("utf-8")).hexdigest())
    if key in _PARSED:
        _PARSED.move_to_end(key)
        return pickle.loads(_PARSED[key])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise error(path, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise error(path, None, f"invalid YAML: {exc}") from None
    lines = LineMap(str(path))
    if node is not None:
        lines.lines[()] = node.start_mark.line + 1
        _walk(node, (), lines.lines)
    _PARSED[key] = pickle.dumps((data, lines), protocol=pickle.HIGHEST_PROTOCOL)
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return data, lines


def format_loc(loc: Loc) -> str:
    """Render a location as ``processes[2].inputs[0].amount``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
