"""The SKU table of ``pcf batch``: one product variant per row, read as a stream.

A CSV file (UTF-8, comma-separated, header row) or an Excel workbook (first sheet, header
row) with these columns, in any order (headers compare case-insensitively):

``id`` (required)
    The SKU id: letters, digits, ``_ . -``, unique in the table. The result is
    ``<id>.result.json`` and the result's ``product.id``.
``name``
    The SKU's name (``product.name`` of its result); default the model's product name.
``model``
    The model file of this row, relative to the table's folder; default ``--model``.
``scenario``
    A scenario of the model's ``scenarios:``; empty for the model as written.
``label``, ``report``
    Render the graded label (SVG + PDF) / the CFP study report (PDF) for this row:
    ``1 / yes / true / x`` or ``0 / no / false`` / empty.
``#...``
    A column whose header starts with ``#`` is a comment and is ignored.
any other column
    A parameter of the model, overridden for this row by the cell's number (in the unit the
    model states for the parameter); an empty cell keeps the model's (or the scenario's)
    value.

A cell that cannot be read (an id that is not a valid file name, a parameter value that is
not a number, a flag that is not yes/no) makes that row an error record; the other rows are
computed. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import TableError

RESERVED = ("id", "name", "model", "scenario", "label", "report")
WITH_UNIT = re.compile(r"^[-+0-9.eE]+\s*[A-Za-z]")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
TRUE = {"1", "yes", "y", "true", "x"}
FALSE = {"0", "no", "n", "false", ""}
EXCEL = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class SkuRow:
    """One row of the SKU table.

    Attributes
    ----------
    row : int
        Spreadsheet row number (the header is row 1).
    id, name : str
        SKU id and name (name empty when not given).
    model : str
        Model file: the row's ``model`` cell resolved against the table's folder, or the
        ``--model`` path; empty when neither is given.
    scenario : str
        Scenario name, empty for the model as written.
    overrides : dict of str to float
        Parameter values of this row (non-empty parameter cells).
    label, report : bool
        Render the label / report.
    error : str
        Why the row cannot be computed, empty when it can.
    """

    row: int
    id: str
    name: str = ""
    model: str = ""
    scenario: str = ""
    overrides: dict = field(default_factory=dict)
    label: bool = False
    report: bool = False
    error: str = ""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _raw_rows(path: Path) -> Iterator[list]:
    """Header and rows as lists of raw cells (strings for CSV, typed values for Excel)."""
    if path.suffix.lower() in EXCEL:
        try:
            from openpyxl import load_workbook
        except ImportError as exc:  # pragma: no cover - openpyxl comes with bw2io
            raise TableError(path, None, f"reading Excel needs openpyxl ({exc})") from None
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a bad file
            raise TableError(path, None, f"not a readable Excel workbook ({exc})") from None
        try:
            yield from (list(r) for r in wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
        return
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            yield from csv.reader(fh)
    except UnicodeDecodeError as exc:
        raise TableError(path, None, f"not UTF-8 text ({exc.reason}); save the table as CSV UTF-8") from None


class SkuTable:
    """A SKU table on disk, read row by row (never held in memory).

    Parameters
    ----------
    path : str or Path
        ``.csv`` or ``.xlsx``.
    model : str or Path, optional
        The model of rows without a ``model`` cell (``--model``).

    Raises
    ------
    TableError
        The file is missing, unreadable, has no header or no ``id`` column, or a header
        appears twice.
    """

    def __init__(self, path: str | Path, model: str | Path | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise TableError(self.path, None, "SKU table not found")
        self.model = str(Path(model)) if model is not None else ""
        header = next(iter(_raw_rows(self.path)), None)
        if not header:
            raise TableError(self.path, 1, "the table has no header row (columns id, name, scenario, parameters...)")
        self.header = [_cell(h) for h in header]
        keys = [h.lower() if h.lower() in RESERVED else h for h in self.header]
        seen = set()
        for k in keys:
            if k and not k.startswith("#"):
                if k in seen:
                    raise TableError(self.path, 1, f"column {k!r} appears twice")
                seen.add(k)
        if "id" not in keys:
            raise TableError(self.path, 1, f"the table needs an 'id' column (found: {', '.join(self.header)})")
        self.keys = keys
        self.parameters = [k for k in keys if k and k not in RESERVED and not k.startswith("#")]

    def __iter__(self) -> Iterator[SkuRow]:
        rows = _raw_rows(self.path)
        next(rows, None)
        for number, raw in enumerate(rows, start=2):
            cells = {k: raw[i] if i < len(raw) else None for i, k in enumerate(self.keys) if k}
            if all(_cell(v) == "" for v in cells.values()):
                continue  # blank line
            yield self._row(number, cells)

    def count(self) -> int:
        """Number of non-blank data rows (one pass over the file)."""
        return sum(1 for _ in self)

    def _row(self, number: int, cells: dict) -> SkuRow:
        sku = _cell(cells.get("id"))
        problems = []
        if not sku:
            problems.append("id is empty")
        elif not ID_RE.match(sku):
            problems.append(f"id {sku!r} is not a file name: use letters, digits and _ . - (not starting with . - _)")
        overrides = {}
        for name in self.parameters:
            raw = cells.get(name)
            text = _cell(raw)
            if text == "":
                continue
            try:
                value = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else float(text)
            except ValueError:
                hint = "; drop the unit" if WITH_UNIT.match(text) else ""
                problems.append(f"{name}: {text!r} is not a number (parameters are plain numbers in the units the "
                                f"model states for them{hint})")
                continue
            if not math.isfinite(value):
                problems.append(f"{name}: {text!r} is not a finite number")
                continue
            overrides[name] = value
        flags = {}
        for flag in ("label", "report"):
            text = _cell(cells.get(flag)).lower()
            if text in TRUE:
                flags[flag] = True
            elif text in FALSE:
                flags[flag] = False
            else:
                flags[flag] = False
                problems.append(f"{flag}: {text!r} is not yes/no (use 1/0, yes/no, true/false or x)")
        model = _cell(cells.get("model"))
        model = str(self.path.parent / model) if model else self.model
        if not model:
            problems.append("no model: fill the table's model column or give the batch a model "
                            "(`pcf batch --model MODEL`)")
        return SkuRow(number, sku, _cell(cells.get("name")), model, _cell(cells.get("scenario")), overrides,
                      flags["label"], flags["report"], "; ".join(problems))
