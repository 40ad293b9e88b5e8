"""Write a model dict as ``pcf-model/1`` YAML, each value read from a cell followed by a
comment naming the cell (``amount: 1.2616  # Energy!C5``, with the Excel formula when the
value was calculated by one).

Block style only; strings are double-quoted with JSON escapes, which YAML 1.1 and 1.2 read
alike; floats are written so that both read them as floats (``4.0e-10``, never ``4e-10``,
which YAML 1.1 reads as a string). Records the cell of each line, so that a loader error at
a line of the written file can be traced back to its cell (:func:`emit`).
"""

from __future__ import annotations

import json
import math
import re

from .cells import Cited

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def scalar(value) -> str:
    """One YAML scalar: ``null``, ``true``/``false``, an int, a float that reads back as
    the same float (shortest repr), or a double-quoted string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        if "e" in text and text.split("e")[1][0] not in "+-":
            text = text.replace("e", "e+")
        return text
    return json.dumps(str(value), ensure_ascii=False)


def _comment(value) -> str:
    if not isinstance(value, Cited):
        return ""
    formula = f" {value.formula}" if value.formula else ""
    return f"  # {value.cell}{formula}".replace("\n", " ")


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.cells: dict[int, str] = {}  # 1-based line -> cell

    def put(self, text: str, value=None) -> None:
        self.lines.append(text + _comment(value))
        if isinstance(value, Cited):
            self.cells[len(self.lines)] = value.cell

    def mapping(self, data: dict, indent: int, first: str | None = None) -> None:
        """``data`` at ``indent``; ``first`` prefixes its first line (``- `` of a list item)."""
        lead = first
        for key, value in data.items():
            if value is None or value == [] or value == {}:
                continue
            pad = lead if lead is not None else " " * indent
            lead = None
            name = key if _PLAIN_KEY.match(key) else json.dumps(key)
            if isinstance(value, dict):
                self.put(f"{pad}{name}:")
                self.mapping(value, indent + 2)
            elif isinstance(value, list):
                self.put(f"{pad}{name}:")
                self.sequence(value, indent + 2)
            else:
                self.put(f"{pad}{name}: {scalar(_value(value))}", value)

    def sequence(self, items: list, indent: int) -> None:
        for item in items:
            if isinstance(item, dict):
                self.mapping(item, indent + 2, first=" " * indent + "- ")
            else:
                self.put(f"{' ' * indent}- {scalar(_value(item))}", item)


def _value(value):
    """What the model holds: a cell's expression when it has one, else its value."""
    if isinstance(value, Cited):
        return value.expression if value.expression is not None else value.value
    return value


def emit(model: dict, header: list[str]) -> tuple[str, dict[int, str]]:
    """The YAML text of ``model`` after ``header`` comment lines, and line -> cell.

    Parameters
    ----------
    model : dict
        Nested dicts and lists; leaves plain scalars or :class:`Cited`.
    header : list of str
        Comment lines (without ``#``) written first.

    Returns
    -------
    tuple of (str, dict of int to str)
        The text, and for each line holding a value from a cell [1-based line number] its
        ``Sheet!Cell``.
    """
    writer = _Writer()
    for line in header:
        writer.put(f"# {line}".rstrip())
    writer.mapping(model, 0)
    return "\n".join(writer.lines) + "\n", writer.cells
