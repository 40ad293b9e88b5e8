"""Excel formulas of amount cells as pcf amount expressions.

A formula made of numbers, ``+ - * / ( )``, ``MIN`` / ``MAX`` / ``ABS`` and references to
the values of the Parameters sheet (``Parameters!$B$3``, or a workbook-level defined name
that points there) is written into the model as the same arithmetic over the parameter
names, e.g. ``=Parameters!B2*Parameters!B3*0.71`` -> ``capacity_kwh * pack_mass_per_kwh *
0.71``, so that scenarios and batch variants recalculate it. Anything else (other cells,
other functions, ``^`` (whose precedence against a unary minus differs from Python's), ``%``,
text) is not translated: the importer then takes the value the spreadsheet stored.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"""\s*(?:
    (?P<ref>(?:'Parameters'|Parameters)!\$?B\$?(?P<row>[0-9]+)(?![0-9A-Za-z_:]))
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<func>(?:MIN|MAX|ABS)(?=\())
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)(?![!(.\[])
  | (?P<op>[-+*/(),])
)""", re.VERBOSE)


def to_expression(formula: str, rows: dict[int, str], names: dict[str, str]) -> str | None:
    """The pcf expression of an Excel formula, or None when it is not arithmetic over the
    Parameters sheet.

    Parameters
    ----------
    formula : str
        ``=...`` as stored in the workbook (function names upper case, ``,`` separators).
    rows : dict of int to str
        Row of the Parameters sheet -> parameter name (its value is in column B).
    names : dict of str to str
        Defined name -> parameter name (names pointing to a Parameters value cell).

    Returns
    -------
    str or None
        E.g. ``capacity_kwh * pack_mass_per_kwh * 0.71``.
    """
    text = formula[1:] if formula.startswith("=") else formula
    out: list[str] = []
    pos = 0
    while text[pos:].strip():
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        pos = m.end()
        if m.group("ref"):
            name = rows.get(int(m.group("row")))
            if name is None:
                return None
            out.append(name)
        elif m.group("name"):
            if m.group("name") not in names:
                return None
            out.append(names[m.group("name")])
        elif m.group("func"):
            out.append(m.group("func").lower())
        else:
            out.append(m.group("number") or m.group("op"))
    return _join(out) if out else None


def _join(tokens: list[str]) -> str:
    """Tokens as an expression: binary operators spaced, unary ones and brackets attached."""
    text, previous = "", None
    for token in tokens:
        if token in "+-*/" and previous not in (None, "(", ",", "+", "-", "*", "/"):
            text += f" {token} "
        elif token == ",":
            text += ", "
        else:
            text += token
        previous = token
    return text
