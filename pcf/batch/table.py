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
computed. So does a workbook cell holding a formula without a computed value (a file written
by a program that does not calculate; its cell would read as empty and the model's default
would be used silently), and a ``model`` cell that names a folder. Rows are numbered as a
spreadsheet shows them: the header is row 1.

The whole table is refused (:class:`pcf.core.errors.TableError` with ``file:line``) for a CSV
quote that is never closed (it would swallow every later row into one cell) or closed wrongly,
a CSV cell longer than the csv module's limit (131,072 characters) or a line longer than
:data:`MAX_LINE_CHARS`, more than :data:`MAX_ROWS` rows or :data:`MAX_COLUMNS` cells in a row,
a file over :data:`MAX_FILE_BYTES` and a workbook that unpacks to more than
:data:`MAX_XLSX_UNPACKED` or whose sheet claims more than :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import TableError

RESERVED = ("id", "name", "model", "scenario", "label", "report")
WITH_UNIT = re.compile(r"^[-+0-9.eE]+\s*[A-Za-z]")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,159}$")  # at most 160 (pcf.core.files.MAX_PRODUCT_ID_BYTES)
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


#: Rows a table may have, the header included: a spreadsheet's own limit (Excel, LibreOffice);
#: a larger batch is split into several tables. A workbook whose sheet claims more is refused
#: before it is read (a 5 KB file naming row 20,000,000 made openpyxl yield 20 million rows).
MAX_ROWS = 1_048_576
#: Columns a row may have (a spreadsheet's own limit, XFD).
MAX_COLUMNS = 16_384
#: Characters in one physical line of a CSV table, read before the csv module sees it.
MAX_LINE_CHARS = 4 * 1024 * 1024
#: Bytes of a table file on disk, and bytes of a workbook's parts once decompressed.
MAX_FILE_BYTES = 1024 ** 3
MAX_XLSX_UNPACKED = 2 * 1024 ** 3
#: The marker of a formula cell without a computed value (:func:`_excel_rows`).
UNCOMPUTED = type("Uncomputed", (), {"__repr__": lambda self: "UNCOMPUTED"})()
FORMULA = ("a formula without a computed value in the file (it was saved by a program that does not calculate); "
           "open and save the workbook in a spreadsheet program, or type the value")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _raw_rows(path: Path) -> Iterator[list]:
    """Header and rows as lists of raw cells (strings for CSV, typed values for Excel, with
    :data:`UNCOMPUTED` for a formula cell without a computed value).

    Raises
    ------
    TableError
        The file is larger than :data:`MAX_FILE_BYTES`, not UTF-8 / not a workbook, a CSV
        quote is never closed or closed wrongly, a cell or line is too long, a row has more
        than :data:`MAX_COLUMNS` cells or the table more than :data:`MAX_ROWS` rows (at the
        line where it happens).
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TableError(path, None, f"cannot read the table ({exc.strerror or exc})") from None
    if size > MAX_FILE_BYTES:
        raise TableError(path, None, f"the table is {size:,} bytes, more than {MAX_FILE_BYTES:,}; split it")
    rows = _excel_rows(path) if path.suffix.lower() in EXCEL else _csv_rows(path)
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise TableError(path, number, f"more than {MAX_ROWS:,} rows (a spreadsheet's limit); split the table")
        if len(row) > MAX_COLUMNS:
            raise TableError(path, number, f"{len(row):,} cells in one row, more than {MAX_COLUMNS:,}")
        yield row


def _excel_rows(path: Path) -> Iterator[list]:
    """The first sheet's rows, read twice in step: computed values (what a cell shows) and
    formulas, so that a formula cell whose file holds no computed value (a workbook written by
    a program that does not calculate) is :data:`UNCOMPUTED`, not an empty cell."""
    import zipfile

    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - openpyxl comes with bw2io
        raise TableError(path, None, f"reading Excel needs openpyxl ({exc})") from None
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(path, None, f"not a readable Excel workbook ({exc})") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise TableError(path, None, f"the workbook unpacks to {unpacked:,} bytes, more than {MAX_XLSX_UNPACKED:,}")
    books = []
    try:
        for data_only in (True, False):
            try:
                books.append(load_workbook(path, read_only=True, data_only=data_only))
            except Exception as exc:  # openpyxl raises several types for a bad file
                raise TableError(path, None, f"not a readable Excel workbook ({exc})") from None
        if not books[0].worksheets:
            raise TableError(path, None, "the workbook has no worksheet")
        sheet = books[0].worksheets[0]
        claimed = sheet.max_row or 0
        if claimed > MAX_ROWS:
            raise TableError(path, None, f"the first sheet claims {claimed:,} rows (its dimension), more than "
                                         f"{MAX_ROWS:,} (a spreadsheet's limit); copy the table into a new sheet")
        elements, formulas = _scan_sheet(books[0], getattr(sheet, "_worksheet_path", None))
        if elements > MAX_ROWS:
            raise TableError(path, None, f"the first sheet has more than {MAX_ROWS:,} rows, empty ones counted "
                                         "(a spreadsheet's limit); copy the table into a new sheet")
        streams = [b.worksheets[0].iter_rows(max_row=MAX_ROWS + 1, values_only=True)
                   for b in (books if formulas else books[:1])]
        if not formulas:
            streams.append(itertools.repeat(()))
        try:
            for values, formulas in zip(*streams):
                if values.count(None) == len(values) and formulas.count(None) == len(formulas):
                    yield []
                    continue
                yield [UNCOMPUTED if v is None and isinstance(f, str) and f.startswith("=") else v
                       for v, f in zip(values, formulas)] + list(values[len(formulas):])
        except TableError:
            raise
        except Exception as exc:  # a malformed sheet part: openpyxl and its XML parser raise many types
            raise TableError(path, None, f"not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    finally:
        for book in books:
            book.close()


#: A row element and a formula element of a sheet's XML (with or without a namespace prefix).
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _scan_sheet(book, part: str | None) -> tuple[int, bool]:
    """Row elements in a sheet's XML and whether it has a formula, by a byte scan of the part
    (~1 s for 20 million empty rows, which openpyxl reads in ~6 minutes); stops counting past
    :data:`MAX_ROWS`. ``(0, True)`` when the part is unknown."""
    if part is None:
        return 0, True
    rows, formula, tail = 0, False, b""
    with book._archive.open(part) as source:  # the workbook's own open zip file
        while rows <= MAX_ROWS:
            chunk = source.read(1 << 22)
            if not chunk:
                break
            text = tail + chunk
            rows += len(_ROW_TAG.findall(text)) - len(_ROW_TAG.findall(tail))  # those in tail were counted
            formula = formula or _FORMULA_TAG.search(text) is not None
            tail = text[-64:]
    return rows, formula


def _csv_rows(path: Path) -> Iterator[list]:
    """Records of a CSV file (``strict``: a quote never closed or closed wrongly is an error,
    not a cell that swallows the rest of the file)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(_lines(path, fh), strict=True)
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise TableError(path, start, _csv_problem(str(exc), start, reader.line_num)) from None
                yield row
    except UnicodeDecodeError as exc:
        raise TableError(path, None, f"not UTF-8 text ({exc.reason}); save the table as CSV UTF-8") from None


def _lines(path: Path, fh) -> Iterator[str]:
    """The file's lines, each at most :data:`MAX_LINE_CHARS` characters (read no further)."""
    number = 0
    while True:
        line = fh.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise TableError(path, number, f"a line longer than {MAX_LINE_CHARS:,} characters")
        yield line


def _csv_problem(error: str, start: int, end: int) -> str:
    if "unexpected end of data" in error:
        return (f"the quote that opens a cell on line {start} is never closed (it would take in the rest of the "
                f"file, to line {end}); close it, and write a quote inside a quoted cell as two quotes (\"\")")
    if "field larger than field limit" in error:
        return (f"a cell longer than {csv.field_size_limit():,} characters (lines {start}-{end}; is a quote left "
                "open?)")
    if "expected after" in error:
        return ("a quoted cell goes on after its closing quote; write a quote inside a quoted cell as two "
                "quotes (\"\")")
    return f"not a readable CSV table ({error})"


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
        if UNCOMPUTED in header:
            raise TableError(self.path, 1, f"header cell {header.index(UNCOMPUTED) + 1} is {FORMULA}")
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
        self._checked: dict[str, str] = {}
        self.parameters = [k for k in keys if k and k not in RESERVED and not k.startswith("#")]

    def __iter__(self) -> Iterator[SkuRow]:
        rows = _raw_rows(self.path)
        next(rows, None)
        for number, raw in enumerate(rows, start=2):
            if not raw:
                continue  # blank line
            cells = {k: raw[i] if i < len(raw) else None for i, k in enumerate(self.keys) if k}
            if all(_cell(v) == "" for v in cells.values()):
                continue  # blank line
            yield self._row(number, cells)

    def _not_a_file(self, model: str) -> str:
        """Why ``model`` cannot be a model file ('' when it may be one; a missing file is
        reported by the model loader), remembered per name."""
        if model not in self._checked:
            if len(self._checked) > 1000:
                self._checked.clear()
            try:
                self._checked[model] = "is a folder, not a model file" if Path(model).is_dir() else ""
            except (OSError, ValueError):  # a NUL character, a name too long for the file system
                self._checked[model] = "is not a usable file name"
        return self._checked[model]

    def columns(self) -> Columns:
        """The whole table as columns, read once (:class:`Columns`: the rows of
        :meth:`__iter__`, the same values and messages; ``BLOCK`` records at a time are
        turned into columns).

        Raises
        ------
        TableError
            As :meth:`__iter__`.
        """
        return _columns(self)

    def count(self) -> int:
        """Number of non-blank data rows (one pass over the file)."""
        return sum(1 for _ in self)

    def _row(self, number: int, cells: dict) -> SkuRow:
        problems = [f"{k}: {FORMULA}" for k, v in cells.items() if v is UNCOMPUTED]
        cells = {k: (None if v is UNCOMPUTED else v) for k, v in cells.items()}
        sku = _cell(cells.get("id"))
        if not sku:
            problems.append("id is empty")
        elif not ID_RE.match(sku):
            problems.append(f"id {sku[:40]!r}{'...' if len(sku) > 40 else ''} is not a file name: use letters, digits and "
                            "_ . - (not starting with . - _), at most 160 characters")
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
        elif "\x00" in model:
            problems.append("model: not a file name (it holds a NUL character)")
        elif self._not_a_file(model):
            problems.append(f"model: {model} {self._not_a_file(model)}")
        return SkuRow(number, sku, _cell(cells.get("name")), model, _cell(cells.get("scenario")), overrides,
                      flags["label"], flags["report"], "; ".join(problems))


@dataclass
class Columns:
    """A whole SKU table as columns (:meth:`SkuTable.columns`): row ``i`` is what the table's
    ``i``-th non-blank row gives when read row by row (:meth:`SkuTable.__iter__`).

    Attributes
    ----------
    rows : numpy.ndarray of int64, shape (n,)
        Spreadsheet row numbers (the header is row 1).
    ids, names, models, scenarios, errors : list of str
        As :class:`SkuRow`'s fields.
    values : dict of str to numpy.ndarray of float64, shape (n,)
        Each parameter column; NaN where the cell is empty (the model's value is kept).
    label, report : numpy.ndarray of bool, shape (n,)
    """

    rows: object
    ids: list
    names: list
    models: list
    scenarios: list
    values: dict
    label: object
    report: object
    errors: list

    def __len__(self) -> int:
        return len(self.ids)

    def make_rows(self, lo: int, hi: int) -> list[SkuRow]:
        """Rows ``lo:hi`` as :class:`SkuRow` (:meth:`row` of each, built column by column)."""
        import numpy as np

        names = list(self.values)
        values = [self.values[k][lo:hi].tolist() for k in names]
        if not any(np.isnan(self.values[k][lo:hi]).any() for k in names):
            overrides = [dict(zip(names, t)) for t in zip(*values)] if names else [{} for _ in range(lo, hi)]
        else:
            overrides = [{k: x for k, x in zip(names, t) if x == x} for t in zip(*values)]
        return [SkuRow(*fields) for fields in zip(self.rows[lo:hi].tolist(), self.ids[lo:hi], self.names[lo:hi],
                                                  self.models[lo:hi], self.scenarios[lo:hi], overrides,
                                                  self.label[lo:hi].tolist(), self.report[lo:hi].tolist(),
                                                  self.errors[lo:hi])]

    def take(self, positions) -> "Columns":
        """The rows at ``positions`` (sequence of int, in that order) as :class:`Columns`; a run
        of consecutive positions is sliced."""
        import numpy as np

        positions = np.asarray(positions, dtype=np.intp)
        n = len(positions)
        if n and positions[-1] - positions[0] == n - 1 and (n == 1 or bool((np.diff(positions) == 1).all())):
            lo, hi = int(positions[0]), int(positions[0]) + n
            pick = (lambda seq: seq[lo:hi])
        else:
            index = positions.tolist()
            pick = (lambda seq: seq[positions] if isinstance(seq, np.ndarray) else [seq[i] for i in index])
        return Columns(pick(self.rows), pick(self.ids), pick(self.names), pick(self.models), pick(self.scenarios),
                       {k: pick(v) for k, v in self.values.items()}, pick(self.label), pick(self.report),
                       pick(self.errors))

    def row(self, i: int) -> SkuRow:
        """Row ``i`` as a :class:`SkuRow`."""
        overrides = {k: float(v[i]) for k, v in self.values.items() if v[i] == v[i]}
        return SkuRow(int(self.rows[i]), self.ids[i], self.names[i], self.models[i], self.scenarios[i], overrides,
                      bool(self.label[i]), bool(self.report[i]), self.errors[i])


BLOCK = 50_000
"""Records read and turned into columns at a time (:meth:`SkuTable.columns`)."""


def _columns(table: "SkuTable") -> Columns:
    """:meth:`SkuTable.columns` (module docstring): CSV records of the usual shape (as many cells
    as the header, every header named) are checked column by column; any other row, a row a
    check refuses and every row of a workbook go through :meth:`SkuTable._row`, which gives
    the row's value or its error message."""
    import numpy as np

    plain = _plain_table(table)
    if plain is not None:
        return plain
    parts: list[Columns] = []
    blocks = _fast_blocks(table.path)
    if blocks is None:
        rows = _raw_rows(table.path)
        blocks = iter(lambda: list(itertools.islice(rows, BLOCK)), [])
    number = 1
    for block in blocks:
        if number == 1:
            block = block[1:]  # the header
            number = 2
        if block:
            parts.append(_block(table, block, number))
            number += len(block)
    if not parts:
        parts.append(_from_rows(table, [], []))
    if len(parts) == 1:
        return parts[0]
    return Columns(np.concatenate([p.rows for p in parts]), *(sum((getattr(p, f) for p in parts), [])
                                                              for f in ("ids", "names", "models", "scenarios")),
                   {k: np.concatenate([p.values[k] for p in parts]) for k in table.parameters},
                   np.concatenate([p.label for p in parts]), np.concatenate([p.report for p in parts]),
                   sum((p.errors for p in parts), []))


def _from_rows(table: "SkuTable", numbers: list[int], rows: list[SkuRow]) -> Columns:
    """Columns of rows read one by one."""
    import numpy as np

    nan = float("nan")
    return Columns(np.array(numbers, dtype=np.int64), [r.id for r in rows], [r.name for r in rows],
                   [r.model for r in rows], [r.scenario for r in rows],
                   {k: np.array([r.overrides.get(k, nan) for r in rows], dtype=float) for k in table.parameters},
                   np.array([r.label for r in rows], dtype=bool), np.array([r.report for r in rows], dtype=bool),
                   [r.error for r in rows])


def _slow(table: "SkuTable", raw: list, number: int) -> SkuRow | None:
    """One record read as :meth:`SkuTable.__iter__` reads it (None: a blank line)."""
    if not raw:
        return None
    cells = {k: raw[i] if i < len(raw) else None for i, k in enumerate(table.keys) if k}
    if all(_cell(v) == "" for v in cells.values()):
        return None
    return table._row(number, cells)


def _block(table: "SkuTable", block: list, first: int) -> Columns:
    """Columns of the records ``block`` (the first is row ``first``)."""
    width = len(table.keys)
    usual = all(table.keys) and not table.path.suffix.lower() in EXCEL
    if not usual or set(map(len, block)) - {width}:
        numbers, rows = [], []
        for i, raw in enumerate(block):
            row = _slow(table, raw, first + i)
            if row is not None:
                numbers.append(first + i)
                rows.append(row)
        return _from_rows(table, numbers, rows)
    cells = {k: list(map(str.strip, col)) for k, col in zip(table.keys, zip(*block))} if block else \
        {k: [] for k in table.keys}
    return _usual(table, cells, first, block.__getitem__)


def _usual(table: "SkuTable", cells: dict, first: int, raw) -> Columns:
    """Columns of records of the usual shape, from their cells (stripped, column by column: a
    list of texts, or :class:`_Distinct` for a parameter column), the first record being row
    ``first``; ``raw(i)`` gives record ``i``'s cells as read, for the rows a check refuses
    (their own reading, :func:`_slow`, gives their value or their message)."""
    import numpy as np

    n = len(cells["id"])
    keep = list(range(n))
    if "" in cells["id"]:  # a blank line (every cell blank: every cell is a named column's) is no row
        cells = {k: col.texts() if isinstance(col, _Distinct) else col for k, col in cells.items()}
        keep = [i for i in keep if any(col[i] for col in cells.values())]
        if len(keep) < n:
            cells = {k: [col[i] for i in keep] for k, col in cells.items()}
    numbers = np.array(keep, dtype=np.int64) + first
    n = len(keep)
    bad = np.zeros(n, dtype=bool)
    ids = cells["id"]
    if not _all_ids(ids):
        bad |= np.array([not (s and ID_RE.match(s)) for s in ids], dtype=bool)
    models = _models(table, cells.get("model"), n, bad)
    flags = {}
    for flag in ("label", "report"):
        texts = cells.get(flag)
        if texts is None:
            flags[flag] = np.zeros(n, dtype=bool)
            continue
        lower = [t.lower() for t in texts]
        flags[flag] = np.array([t in TRUE for t in lower], dtype=bool)
        bad |= np.array([t not in TRUE and t not in FALSE for t in lower], dtype=bool)
    values = {}
    for name in table.parameters:
        values[name] = _numbers(cells[name], bad)
    out = Columns(numbers, ids, cells.get("name") or [""] * n, models, cells.get("scenario") or [""] * n, values,
                  flags["label"], flags["report"], [""] * n)
    for i in np.flatnonzero(bad).tolist():  # the row's own reading gives its value or its message
        row = _slow(table, raw(keep[i]), int(numbers[i]))
        out.ids[i], out.names[i], out.models[i], out.scenarios[i] = row.id, row.name, row.model, row.scenario
        for name, column in values.items():
            column[i] = row.overrides.get(name, float("nan"))
        out.label[i], out.report[i], out.errors[i] = row.label, row.report, row.error
    return out


#: Many ids, one per line, each matching :data:`ID_RE`.
_IDS_RE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.\-]{0,159}\n)*[A-Za-z0-9][A-Za-z0-9_.\-]{0,159}")


def _all_ids(ids: list[str]) -> bool:
    """Whether every one of ``ids`` is a valid id (:data:`ID_RE`), by one match over them all
    (False also when some id holds a line break: then each is checked on its own)."""
    joined = "\n".join(ids)
    return bool(ids) and joined.count("\n") == len(ids) - 1 and _IDS_RE.fullmatch(joined) is not None


def _models(table: "SkuTable", texts: list | None, n: int, bad) -> list:
    """The model of every row (the cell against the table's folder, else ``--model``); a row
    whose model is missing or not a file name is marked in ``bad``."""
    if texts is None:
        if not table.model:
            bad[:] = True
        return [table.model] * n
    resolved: dict[str, str | None] = {}
    out = []
    for i, text in enumerate(texts):
        model = resolved.get(text, "")
        if model == "":
            model = str(table.path.parent / text) if text else table.model
            if not model or "\x00" in model or table._not_a_file(model):
                model = None
            resolved[text] = model
        if model is None:
            bad[i] = True
            model = ""
        out.append(model)
    return out


def _fast_blocks(path: Path) -> Iterator[list] | None:
    """The records of a CSV table, in blocks of :data:`BLOCK`, that needs none of :func:`_raw_rows`'s checks line by line
    (no line longer than :data:`MAX_LINE_CHARS` bytes, not over :data:`MAX_FILE_BYTES`), read
    by the csv module straight from the file; the rows, cells and quotes are checked as
    :func:`_raw_rows` does, by reading the table again that way when something is wrong, so
    the error is the same. None for a workbook or a table that needs the line checks."""
    bytes_ = _bytes_of(path)
    if bytes_ is None or bytes_.longest > MAX_LINE_CHARS:
        return None
    return _checked_blocks(path)


@dataclass
class _Bytes:
    """What a byte scan of a CSV file found (:func:`_bytes_of`): the longest line [bytes], the
    lines, and whether a line is empty (or a single byte), and the file holds a quote, a NUL or
    a carriage return not followed by a line feed."""

    longest: int = 0
    lines: int = 0
    short_line: bool = False
    special: bool = False


def _bytes_of(path: Path) -> _Bytes | None:
    """:class:`_Bytes` of a CSV table under :data:`MAX_FILE_BYTES` (None: a workbook, a larger or
    unreadable file)."""
    import numpy as np

    if path.suffix.lower() in EXCEL:
        return None
    found = _Bytes()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        last, carried = -1, False  # carried: the data read so far ends with a carriage return
        with path.open("rb") as fh:
            at = 0
            while True:
                data = fh.read(1 << 24)
                if not data:
                    break
                array = np.frombuffer(data, dtype=np.uint8)
                ends = np.flatnonzero(array == 10) + at
                if ends.size:
                    steps = np.diff(ends)
                    found.longest = max(found.longest, int(ends[0] - last), int(steps.max(initial=0)))
                    found.short_line |= int(ends[0] - last) <= 2 or bool((steps <= 2).any())
                    found.lines += int(ends.size)
                    last = int(ends[-1])
                ends_in_cr = data.endswith(b"\r")
                lone = int((array == 13).sum()) - data.count(b"\r\n") - ends_in_cr + (carried and data[:1] != b"\n")
                found.special |= lone > 0 or b'"' in data or b"\x00" in data
                carried, at = ends_in_cr, at + len(data)
            found.longest = max(found.longest, at - 1 - last)
            found.special |= carried
            found.lines += at - 1 > last
    except OSError:
        return None
    return found


class _Distinct:
    """A column of texts as its distinct texts (``distinct``, list of str) and each cell's
    position among them (``index``, numpy.ndarray of int)."""

    def __init__(self, distinct: list, index):
        self.distinct, self.index = distinct, index

    def texts(self) -> list:
        return [self.distinct[i] for i in self.index.tolist()]


def _plain_table(table: "SkuTable") -> Columns | None:
    """:meth:`SkuTable.columns` of a plain CSV table, read by pyarrow's CSV reader (in C++,
    in threads) when it is installed: a file without quotes, NUL characters, lone carriage
    returns, empty lines and lines longer than the csv module's cell limit, whose header is
    the usual one (every column named) and whose every record has as many cells as the header.
    The csv module splits such a file at the same commas and line ends; the cells are checked
    as :func:`_block` checks them (a parameter column's distinct texts read once each). None
    for any other table (read by the csv module)."""
    import csv as _csv

    import numpy as np

    found = _bytes_of(table.path)
    width = len(table.keys)
    if found is None or found.special or found.short_line or not all(table.keys) or \
            found.longest > min(MAX_LINE_CHARS, _csv.field_size_limit()) or found.lines > MAX_ROWS or \
            width > MAX_COLUMNS:
        return None
    try:
        import pyarrow as pa
        from pyarrow import csv as arrow_csv
    except ImportError:
        return None
    try:
        data = arrow_csv.read_csv(table.path, read_options=arrow_csv.ReadOptions(skip_rows=1,
                                                                             autogenerate_column_names=True),
                                  parse_options=arrow_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
                                  convert_options=arrow_csv.ConvertOptions(
                                      column_types={f"f{i}": pa.string() for i in range(width)},
                                      strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, OSError):  # a record of another width, text that is not UTF-8: the csv module's
        return None
    if data.num_columns != width or data.num_rows == 0:
        return None
    parameters = set(table.parameters)
    cells = {}
    for key, column in zip(table.keys, data.columns):
        column = column.combine_chunks()
        if key in parameters:
            coded = column.dictionary_encode()
            index = coded.indices
            cells[key] = _Distinct([t.strip() for t in coded.dictionary.to_pylist()],
                                   # the indices' buffer as numpy sees it: Array.to_numpy would
                                   # import pandas (0.3 s; tests/test_batch.py, a warm batch)
                                   np.frombuffer(index.buffers()[1], dtype=np.int32, count=len(index),
                                                 offset=4 * index.offset))
        else:
            texts = column.to_pylist()
            cells[key] = texts if _SPACE.search("".join(texts)) is None else list(map(str.strip, texts))
    return _usual(table, cells, 2, lambda i: [c[i].as_py() for c in data.columns])


#: A character ``str.strip()`` removes.
_SPACE = re.compile(r"\s")


def _checked_blocks(path: Path) -> Iterator[list]:
    """:func:`_fast_blocks`' reading: a problem sends the reading to :func:`_raw_rows`,
    which raises its error at its line."""
    count = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, strict=True)
            while True:
                block = list(itertools.islice(reader, BLOCK))
                if not block:
                    return
                count += len(block)
                if count > MAX_ROWS or max(map(len, block)) > MAX_COLUMNS:
                    raise ValueError("limits")
                yield block
    except (csv.Error, UnicodeDecodeError, ValueError):
        pass
    for _ in _raw_rows(path):  # raises the error where the reading above stopped
        pass
    raise TableError(path, None, "the table could not be read twice the same way; please report this")


def _numbers(texts, bad):
    """A parameter column (a list of texts, or :class:`_Distinct`): each cell as ``float()``
    reads it, NaN for an empty cell; a cell that is not a finite number is marked in ``bad``."""
    import numpy as np

    if isinstance(texts, _Distinct):  # each distinct text read once, then taken for every cell
        once = np.zeros(len(texts.distinct), dtype=bool)
        values = _numbers(texts.distinct, once)
        bad |= once[texts.index]
        return values[texts.index]

    nan = float("nan")
    try:
        if "" in texts:
            values = np.array([float(t) if t else nan for t in texts], dtype=float)
        else:
            values = np.fromiter(map(float, texts), dtype=float, count=len(texts))
    except ValueError:
        values = np.empty(len(texts))
        for i, t in enumerate(texts):
            try:
                values[i] = float(t) if t else nan
            except ValueError:
                values[i] = nan
                bad[i] = True
    finite = np.isfinite(values)
    if not finite.all():
        empty = np.array([not t for t in texts], dtype=bool)
        bad |= ~empty & ~finite
    return values
