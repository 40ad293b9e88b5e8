"""Reading one cell of a plant-data workbook: its value by kind, its place, its formula.

A value keeps where it came from (:class:`Cited`), so that the model written from it names
``Sheet!Cell`` beside every quantity, and every error reads ``F.xlsx:Sheet!C12: what is
wrong`` (:class:`WorkbookError`).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import ExpressionError, UnitError, WorkbookError
from ...core.units import parse_unit
from ...model.expressions import evaluate
from ...model.schema import ID_PATTERN
from .formulas import to_expression
from .layout import Choices


@dataclass(frozen=True)
class Cited:
    """A value read from a cell: ``value``, its place ``cell`` (``Sheet!C12``), the Excel
    ``formula`` it was calculated by (``=...``), if any, and that formula as a pcf amount
    ``expression`` over the Parameters sheet when it is one (:mod:`.formulas`); the model then
    holds the expression, ``value`` is what the spreadsheet stored."""

    value: object
    cell: str
    formula: str | None = None
    expression: str | None = None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class CellReader:
    """Cells of one workbook, read with both its formulas and their stored values.

    Parameters
    ----------
    path : Path
        The workbook (named in errors).
    formulas, values : openpyxl Workbook
        The workbook loaded as written (formulas) and with ``data_only=True`` (stored values).
    choices : Choices
        Background keys and the lists that ``key`` and ``choice`` cells are checked against.
    """

    def __init__(self, path: Path, formulas, values, choices: Choices):
        self.path, self.formulas, self.values, self.choices = path, formulas, values, choices
        self.parameters: dict[str, float] = {}   # name -> value, from the Parameters sheet
        self.parameter_rows: dict[int, str] = {}  # Parameters row -> name
        self.parameter_names: dict[str, str] = {}  # defined name -> parameter name

    def fail(self, cell: str | None, message: str) -> WorkbookError:
        """The error for ``cell`` (to be raised)."""
        return WorkbookError(self.path, cell, message)

    def raw(self, sheet: str, ref: str) -> tuple[object, str | None]:
        """``(value, formula)`` of a cell: the typed value, or a formula's stored result.

        Raises
        ------
        WorkbookError
            A formula cell without a stored result (the file was never calculated).
        """
        value = self.formulas[sheet][ref].value
        text = getattr(value, "text", value)  # ArrayFormula
        if isinstance(text, str) and text.startswith("="):
            stored = self.values[sheet][ref].value
            if stored is None:
                raise self.fail(f"{sheet}!{ref}", f"formula {text} has no calculated value stored: open the workbook "
                                                  "in Excel or LibreOffice and save it (or type the number)")
            return stored, " ".join(text.split())
        return value, None

    def read(self, sheet: str, ref: str, kind: str, what: str, required: bool = False,
             choices: str | None = None, missing: str = "fill it in (or delete the row)") -> Cited | None:
        """The value of a cell as ``kind`` (see :class:`pcf.importers.plant.layout.Column`),
        or None when it is empty and not ``required``.

        Raises
        ------
        WorkbookError
            Missing while required; not a number, negative (``number``) or not > 0
            (``positive``); not a whole number (``int``); not an id; an unknown unit or
            background key; a value outside its drop-down list.
        """
        value, formula = self.raw(sheet, ref)
        where = f"{sheet}!{ref}"
        if _blank(value):
            if required:
                raise self.fail(where, f"{what} is missing: {missing}")
            return None
        reader = getattr(self, "_" + kind)
        read = reader(value, where, what, choices)
        if formula and kind in ("number", "positive", "real"):
            return Cited(read, where, formula, self._expression(formula, read, where))
        return Cited(read, where, formula)

    def _expression(self, formula: str, stored: float, where: str) -> str | None:
        """``formula`` as a pcf expression over the parameters, checked against the value the
        spreadsheet stored (rel 1e-9); None when it is not one."""
        expression = to_expression(formula, self.parameter_rows, self.parameter_names)
        if expression is None:
            return None
        try:
            ours = evaluate(expression, self.parameters)
        except ExpressionError as exc:
            raise self.fail(where, f"formula {formula} as {expression!r}: {exc}") from None
        if not math.isclose(ours, stored, rel_tol=1e-9, abs_tol=1e-300):
            raise self.fail(where, f"formula {formula} gives {stored!r} in the workbook but {ours!r} from the "
                                   "Parameters sheet's values: recalculate the workbook and save it")
        return expression

    def _text(self, value, where: str, what: str, choices) -> str:
        return _text(value)

    def _id(self, value, where: str, what: str, choices) -> str:
        text = _text(value)
        if not re.match(ID_PATTERN, text):
            raise self.fail(where, f"{what} {text!r} is not an id: letters, digits and _ . - only, no spaces")
        return text

    def _real(self, value, where: str, what: str, choices) -> float | int:
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip().replace(" ", ""))
            except ValueError:
                hint = " (write a decimal point, not a comma)" if re.fullmatch(r"\s*-?\d+,\d+\s*", value) else ""
                raise self.fail(where, f"{what} is not a number: {value!r}{hint}") from None
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise self.fail(where, f"{what} is not a number: {value!r}")
        return number

    def _number(self, value, where: str, what: str, choices, low: str = ">= 0") -> float | int:
        number = self._real(value, where, what, choices)
        if number < 0 or (low == "> 0" and number == 0):
            raise self.fail(where, f"{what} must be {low}, got {number:g}")
        return number

    def _name(self, value, where: str, what: str, choices) -> str:
        text = _text(value)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) or text in ("min", "max", "abs", "round"):
            raise self.fail(where, f"{what} {text!r} is not a parameter name: a letter or _, then letters, digits "
                                   "or _ (not min, max, abs, round)")
        return text

    def _positive(self, value, where: str, what: str, choices) -> float | int:
        return self._number(value, where, what, choices, "> 0")

    def _int(self, value, where: str, what: str, choices) -> int:
        number = self._number(value, where, what, choices)
        if not float(number).is_integer():
            raise self.fail(where, f"{what} must be a whole number, got {number:g}")
        return int(number)

    def _unit(self, value, where: str, what: str, choices) -> str:
        text = _text(value)
        try:
            parse_unit(text)
        except UnitError as exc:
            raise self.fail(where, f"{what}: {exc}") from None
        return text

    def _key(self, value, where: str, what: str, choices) -> str:
        text = _text(value)
        if text not in self.choices.keys:
            near = difflib.get_close_matches(text, list(self.choices.keys), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise self.fail(where, f"unknown background key {text!r}: not in the open default{hint} "
                                   "(find keys with `pcf db search TEXT`)")
        return text

    def _choice(self, value, where: str, what: str, choices) -> str:
        text = _text(value)
        allowed = self.choices.values(choices) if choices else ()
        if allowed and text not in allowed:
            raise self.fail(where, f"{what} {text!r} is not one of: {', '.join(allowed)}")
        return text
