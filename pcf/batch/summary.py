"""The summary table of a batch: ``summary.csv`` and ``summary.parquet``, one row per SKU in
the order of the SKU table, written as a stream (batches of rows) and moved into place
atomically.

Columns (docs/batch.md): ``row, id, name, model, scenario, status, error``; the figures
``total_kg_co2e`` [kg CO2e / reference flow], ``per_declared_unit_kg_co2e``,
``declared_unit``, ``declared_units_per_reference_flow``, ``<stage>_kg_co2e`` and
``<stage>_share`` for the five life-cycle stages, the ISO 14067 split
``fossil_kg_co2e, biogenic_emissions_kg_co2e, biogenic_removals_kg_co2e, dluc_kg_co2e,
aircraft_kg_co2e``, the PCR's declared figure ``declared_kg_co2e`` and
``declared_per_declared_unit`` and the ``class_of_declared_figure`` it falls in; the PCR
verdict ``pcr, conforms, nonconformities, performance_class`` (the class the PCR grades, only
for a conforming result; empty in a summary-only run); ``result_file, input_sha256``; and one
column per parameter of the SKU table with the value used.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from ..core.cells import safe_cell
from ..core.extras import require
from ..core.files import temporary_file
from ..core.vocabulary import GHG_REPORTED, STAGES

PARQUET_PURPOSE = "pcf batch writes summary.parquet"
TOTAL = "total_kg_co2e"
"""Summary column of the total [kg CO2e / reference flow]; the stage shares are of it."""

HEAD = [("row", "int"), ("id", "str"), ("name", "str"), ("model", "str"), ("scenario", "str"),
        ("status", "str"), ("error", "str")]
FIGURES = ([(TOTAL, "float"), ("per_declared_unit_kg_co2e", "float"), ("declared_unit", "str"),
            ("declared_units_per_reference_flow", "float")]
           + [(f"{s}_kg_co2e", "float") for s in STAGES] + [(f"{s}_share", "float") for s in STAGES]
           + [(f"{k}_kg_co2e", "float") for k in GHG_REPORTED]
           + [("declared_kg_co2e", "float"), ("declared_per_declared_unit", "float"),
              ("class_of_declared_figure", "str")])
TAIL = [("pcr", "str"), ("conforms", "bool"), ("nonconformities", "int"), ("performance_class", "str"),
        ("result_file", "str"), ("input_sha256", "str")]


def columns(parameters: list[str]) -> list[tuple[str, str]]:
    """(name, type) of every summary column; parameter columns are named as in the table
    (``parameter.<name>`` when a name is taken by a fixed column)."""
    fixed = HEAD + FIGURES + TAIL
    taken = {name for name, _ in fixed}
    return fixed + [(f"parameter.{p}" if p in taken else p, "float") for p in parameters]


def summary_row(record: dict, parameters: list[str], defaults: dict) -> dict:
    """One summary row from a state record (:mod:`pcf.batch.state`).

    Parameters
    ----------
    record : dict
    parameters : list of str
        The table's parameter columns.
    defaults : dict
        Parameter values of the record's plan (for the columns a row left empty).
    """
    row = {k: record.get(k) for k in _FIXED}
    total = record.get("total_kg_co2e")
    for share, stage in _SHARES:
        v = record.get(stage)
        row[share] = v / total if v is not None and total else None
    overrides = record.get("overrides") or {}
    for p in parameters:
        row[f"parameter.{p}" if p in _FIXED else p] = overrides.get(p, defaults.get(p))
    return row


_FIXED = {name: None for name, _ in HEAD + FIGURES + TAIL}
_SHARES = [(f"{s}_share", f"{s}_kg_co2e") for s in STAGES]


def write_summary(rows: Iterable[dict], cols: list[tuple[str, str]], out: Path, batch: int = 5000) -> dict[str, Path]:
    """Write ``summary.csv`` and ``summary.parquet`` from a stream of rows.

    Both go to temporary files in ``out`` first and replace the previous summary only when
    complete.

    Returns
    -------
    dict
        ``{"csv": Path, "parquet": Path}``.
    """
    with _summary_files(cols, out) as (pa, schema, fh, pw):
        writer = csv.writer(fh)
        names = [name for name, _ in cols]
        kinds = [t for _, t in cols]
        buffer: list[dict] = []

        def flush():
            if buffer:
                values = [[row.get(n) for row in buffer] for n in names]
                pw.write_table(pa.Table.from_arrays([pa.array(v, type=f.type) for v, f in zip(values, schema)],
                                                    schema=schema))
                writer.writerows(zip(*(_texts(v, t) for v, t in zip(values, kinds))))
                buffer.clear()

        for row in rows:
            buffer.append(row)
            if len(buffer) >= batch:
                flush()
        flush()
    return {"csv": out / "summary.csv", "parquet": out / "summary.parquet"}


@contextmanager
def _summary_files(cols: list[tuple[str, str]], out: Path):
    """``(pyarrow, schema, csv file, Parquet writer)`` of a new summary, its header row written;
    both files are written to temporary files in ``out`` and replace ``summary.csv`` and
    ``summary.parquet`` only when the block ends without an error (removed otherwise)."""
    files = _Files(cols, out)
    try:
        yield files.pa, files.schema, files.fh, files.pw
        files.commit()
    finally:
        files.discard()


def _closed(created: tuple[int, str]) -> Path:
    """The path of a new temporary file (:func:`pcf.core.files.temporary_file`), its descriptor closed:
    the summary's writers open it again by name."""
    os.close(created[0])
    return Path(created[1])


class _Files:
    """The temporary files of a new summary (:func:`_summary_files`), open, the CSV header
    written: :meth:`commit` closes them and moves them into place, :meth:`discard` removes
    what is left (after a commit: nothing)."""

    def __init__(self, cols: list[tuple[str, str]], out: Path):
        self.pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
        pq = require("parquet", "pyarrow.parquet", PARQUET_PURPOSE)
        self.schema = self.pa.schema([(name, _arrow_types(self.pa)[t]) for name, t in cols])
        self.targets = {"csv": out / "summary.csv", "parquet": out / "summary.parquet"}
        self.temps = {k: _closed(temporary_file(out, f".{p.name}.")) for k, p in self.targets.items()}
        self.fh = self.pw = None
        try:
            self.fh = self.temps["csv"].open("w", newline="", encoding="utf-8")
            csv.writer(self.fh).writerow([name for name, _ in cols])
            # dictionary-encoded text columns only: a float column of distinct values gains nothing
            # from a dictionary, which costed half the time of writing the file
            self.pw = pq.ParquetWriter(self.temps["parquet"], self.schema,
                                       use_dictionary=[name for name, kind in cols if kind == "str"])
        except BaseException:
            self.discard()
            raise

    def _close(self) -> None:
        fh, pw, self.fh, self.pw = self.fh, self.pw, None, None
        try:
            if pw is not None:
                pw.close()
        finally:
            if fh is not None:
                fh.close()

    def commit(self) -> dict[str, Path]:
        self._close()
        for k, path in self.targets.items():
            os.replace(self.temps[k], path)
        return dict(self.targets)

    def discard(self) -> None:
        try:
            self._close()
        finally:
            for tmp in self.temps.values():
                if tmp.exists():
                    tmp.unlink()


def _texts(values: list, kind: str) -> list:
    """The CSV cells of one column (:func:`_text` of each value; numbers are left to the csv
    writer, which writes ``str()`` of them, as :func:`_text` does, and an empty cell for None)."""
    if kind in ("float", "int") and not any(type(v) is bool for v in values):
        return values
    return ["" if v is None else _text(v) for v in values]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return safe_cell(value)  # a name =HYPERLINK(...) is text, not a formula (OWASP CSV injection)
    return str(value)


def figures_table(figures: dict, parameters: dict):
    """Summary columns of many SKUs as an Arrow table (the figures of
    :func:`pcf.batch.engine.evaluate_columns`, stage shares, and the parameter values).

    Parameters
    ----------
    figures : dict
        Columns of equal length ``n`` (arrays, lists, or a scalar / None for all rows).
    parameters : dict of str to numpy.ndarray
        Parameter columns, shape (n,).

    Returns
    -------
    pyarrow.Table
        The :data:`FIGURES` columns in order, then the parameters.
    """
    import numpy as np

    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)

    n = len(next(iter(parameters.values()))) if parameters else len(figures[TOTAL])
    types = {"float": pa.float64(), "str": pa.string()}
    total = np.asarray(figures[TOTAL], dtype=float)
    out = {}
    for name, kind in FIGURES:
        if name.endswith("_share"):
            stage = figures.get(name.removesuffix("_share") + "_kg_co2e")
            value = None if stage is None else np.divide(stage, total, out=np.full(n, np.nan), where=total != 0)
        else:
            value = figures.get(name)
        if value is None or np.ndim(value) == 0 and not isinstance(value, list):
            out[name] = pa.array([value] * n, type=types[kind])
        else:
            out[name] = pa.array(value, type=types[kind], from_pandas=True)
    for name, values in parameters.items():
        out[name] = pa.array(values, type=pa.float64())
    return pa.table(out)


CHUNK_COLUMNS = ([("row", "int"), ("id", "str"), ("name", "str"), ("model", "str"), ("scenario", "str"),
                  ("input_sha256", "str"), ("pcr", "str")]
                 + [c for c in FIGURES if not c[0].endswith("_share")]
                 + [("performance_class", "str"), ("conforms", "bool"), ("nonconformities", "int"),
                    ("result_file", "str")])
"""The columns of a chunk of ok records (:mod:`pcf.batch.state`): the fields of a state record
that the summary shows."""


def _arrow_types(pa) -> dict:
    return {"int": pa.int64(), "str": pa.string(), "float": pa.float64(), "bool": pa.bool_()}


def chunk_table(columns: dict, n: int):
    """A chunk of ok records as a pyarrow Table of :data:`CHUNK_COLUMNS`.

    Parameters
    ----------
    columns : dict
        Column name -> ``n`` values (a list or numpy array), or one value for every row (a
        scalar, None); a column not given is null.
    n : int
    """
    import numpy as np

    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    types = _arrow_types(pa)
    arrays = []
    for name, kind in CHUNK_COLUMNS:
        value = columns.get(name)
        if isinstance(value, np.ndarray) and value.ndim == 1:
            arrays.append(pa.array(value, type=types[kind], from_pandas=kind == "float"))
        elif isinstance(value, list) and not (value and kind == "str" and value.count(value[0]) == len(value)):
            arrays.append(pa.array(value, type=types[kind], from_pandas=kind == "float"))
        else:
            if isinstance(value, list):  # one text throughout (a model, a scenario): the array made from it once
                value = value[0]
            if isinstance(value, np.generic):
                value = value.item()
            arrays.append(pa.nulls(n, types[kind]) if value is None else pa.repeat(pa.scalar(value, types[kind]), n))
    return pa.Table.from_arrays(arrays, schema=pa.schema([(name, types[kind]) for name, kind in CHUNK_COLUMNS]))


def complete(base, parameters: dict, cols: list[tuple[str, str]]):
    """The summary columns of rows from their records as columns (:data:`CHUNK_COLUMNS` with
    ``status`` and ``error``): the stage shares (``None`` where the total is 0 or missing) and
    the parameter values used, in the order of ``cols``.

    Parameters
    ----------
    base : pyarrow.Table
    parameters : dict of str to numpy.ndarray
        The table's parameter columns, the value used by each row (NaN: none).
    cols : list
        :func:`columns`.
    """
    import numpy as np

    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    types = _arrow_types(pa)
    total = base.column(TOTAL).to_numpy(zero_copy_only=False)
    total = np.asarray(total, dtype=float)
    out = {}
    for name, kind in cols:
        if name in base.column_names:
            out[name] = base.column(name)
        elif name.endswith("_share") and name[:-len("_share")] + "_kg_co2e" in base.column_names:
            stage = np.asarray(base.column(name[:-len("_share")] + "_kg_co2e").to_numpy(zero_copy_only=False),
                               dtype=float)
            with np.errstate(all="ignore"):
                share = stage / total
            out[name] = pa.array(share, type=types["float"], mask=np.isnan(stage) | np.isnan(total) | (total == 0))
    for (name, kind), values in zip(cols[len(cols) - len(parameters):], parameters.values()):
        out[name] = pa.array(values, type=types["float"], mask=np.isnan(values))
    return pa.Table.from_arrays([out[name] for name, _ in cols], names=[name for name, _ in cols])


def write_summary_tables(blocks: Iterable, cols: list[tuple[str, str]], out: Path) -> dict[str, Path]:
    """Write ``summary.csv`` and ``summary.parquet`` from pyarrow Tables of the summary columns
    (:func:`complete`), as :func:`write_summary` does from rows: the same cells, column by
    column.

    Returns
    -------
    dict
        ``{"csv": Path, "parquet": Path}``.
    """
    from concurrent.futures import ThreadPoolExecutor

    kinds = [t for _, t in cols]
    with _summary_files(cols, out) as (_pa, schema, fh, pw), \
            ThreadPoolExecutor(3, thread_name_prefix="pcf-summary") as pool:
        fh.flush()  # the header; the lines go to the file's bytes
        for block in blocks:
            _write_block(block, schema, kinds, fh, pw, pool)
    return {"csv": out / "summary.csv", "parquet": out / "summary.parquet"}


def _write_block(block, schema, kinds: list[str], fh, pw, pool) -> None:
    """Append a block of summary rows (a pyarrow Table, :func:`complete`) to both files: its
    Parquet row group written in one of ``pool``'s threads while its CSV cells are made in the
    others (Arrow's work, Parquet and CSV cells, runs without the GIL)."""
    block = block.cast(schema)
    written = pool.submit(pw.write_table, block)
    try:
        if block.num_rows:
            fh.buffer.write(csv_bytes(block, kinds, pool))
    finally:
        written.result()


def record_schema():
    """The pyarrow schema of the records the summary is made from: :data:`CHUNK_COLUMNS` with
    ``status`` and ``error``."""
    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    types = _arrow_types(pa)
    return pa.schema([(n, types[t]) for n, t in CHUNK_COLUMNS + [("status", "str"), ("error", "str")]])


def ok_records(chunk, schema):
    """The rows of a chunk of ok records (:func:`chunk_table`) as records of ``schema``
    (:func:`record_schema`): status ``ok``, no error."""
    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    chunk = chunk.append_column("status", pa.array(["ok"] * chunk.num_rows, pa.string()))
    return chunk.append_column("error", pa.nulls(chunk.num_rows, pa.string())).select(schema.names)


class SummaryStream:
    """``summary.csv`` and ``summary.parquet`` of a run that computes every row of its table on
    arrays, written while the run goes on: each block of ``block`` rows (the blocks the summary
    of the state is written in, so the same files byte for byte) is completed and written in
    threads of its own (Arrow's work runs without the GIL) as soon as its chunk of records is
    committed, the chunks that arrive before their turn held until it comes. Any other run
    (a row computed alone or failed, chunks that are not blocks) ends the stream
    (:attr:`broken`); the summary is then written from the state at the end, as before.

    Parameters
    ----------
    cols : list
        :func:`columns`.
    out : Path
    rows : numpy.ndarray of int
        The table's row numbers, in its order.
    parameters : dict of str to numpy.ndarray
        The table's parameter columns, the value each row used (NaN: none; :func:`complete`).
    block : int
        Rows per block.
    """

    def __init__(self, cols: list[tuple[str, str]], out: Path, rows, parameters: dict, block: int):
        from concurrent.futures import ThreadPoolExecutor

        self.cols, self.rows, self.parameters, self.block = cols, rows, parameters, block
        self.kinds = [t for _, t in cols]
        self.schema = record_schema()
        self.files = _Files(cols, out)
        self.files.fh.flush()  # the header; the lines go to the file's bytes
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="pcf-summary-block")
        self.pool = ThreadPoolExecutor(3, thread_name_prefix="pcf-summary")
        self.next, self.held, self.pending, self.broken = 0, {}, [], False

    def add(self, records: list, chunk) -> None:
        """A commit of the run: ``records`` (state records of rows computed alone or failed) and
        ``chunk`` (ok records on arrays, :func:`chunk_table`, or None)."""
        if self.broken:
            return
        if records or chunk is None or not chunk.num_rows:
            self._break()
            return
        import numpy as np

        n, k = len(self.rows), chunk.num_rows
        start = int(np.searchsorted(self.rows, chunk.column("row")[0].as_py()))
        if start % self.block or (k != self.block and start + k != n) or start < self.next or start in self.held or \
                not np.array_equal(chunk.column("row").to_numpy(), self.rows[start:start + k]):
            self._break()
            return
        self.held[start] = chunk
        while self.next in self.held:
            lo = self.next
            chunk = self.held.pop(lo)
            self.next = lo + chunk.num_rows
            self.pending.append(self.writer.submit(self._write, chunk, lo, self.next))

    def _write(self, chunk, lo: int, hi: int) -> None:
        base = ok_records(chunk, self.schema).cast(self.schema)
        block = complete(base, {p: v[lo:hi] for p, v in self.parameters.items()}, self.cols)
        _write_block(block, self.files.schema, self.kinds, self.files.fh, self.files.pw, self.pool)

    def _break(self) -> None:
        self.broken = True
        self.held.clear()

    def finish(self) -> dict[str, Path] | None:
        """Wait for the blocks and move the files into place: ``{"csv": Path, "parquet":
        Path}``; None when the stream ended (:attr:`broken`) or did not get every row (nothing
        is then left of it)."""
        try:
            for future in self.pending:
                future.result()
            if self.broken or self.next != len(self.rows):
                return None
            return self.files.commit()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the threads and remove the files if they were not committed."""
        self.writer.shutdown(wait=True, cancel_futures=True)
        self.pool.shutdown(wait=True)
        self.files.discard()


def csv_lines(block, kinds: list[str]) -> str:
    """The CSV lines of a pyarrow Table, column by column in Arrow: exactly what
    ``csv.writer`` (QUOTE_MINIMAL, lines ending in CR LF) writes for the cells of
    :func:`write_summary` (:func:`_texts`): a float as ``repr()`` gives it, an int as ``str()``,
    a bool as ``true`` / ``false``, text through :func:`pcf.core.cells.safe_cell` and quoted when
    it holds a comma, a quote or a line break (quotes doubled), None as an empty cell. A column
    holding one value throughout (a model, a scenario, the product's name) has that value's
    cell written once and repeated."""
    return csv_bytes(block, kinds).decode("utf-8")


def csv_bytes(block, kinds: list[str], pool=None) -> bytes:
    """:func:`csv_lines` encoded in UTF-8; ``pool`` (a ``concurrent.futures`` executor) makes
    the columns' cells in its threads (Arrow's compute functions release the GIL)."""
    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    pc = require("parquet", "pyarrow.compute", PARQUET_PURPOSE)
    if pool is None:
        fields = [_csv_field(column, kind, pa, pc) for column, kind in zip(block.columns, kinds)]
    else:
        fields = list(pool.map(lambda ck: _csv_field(ck[0], ck[1], pa, pc), zip(block.columns, kinds)))
    if len(fields) == 1:  # csv.writer quotes a row of one empty cell
        fields = [pc.if_else(pc.equal(fields[0], ""), pa.scalar('""'), fields[0])]
    # the line end joined to the last cell, not to the whole line (a copy of one column, not of all)
    fields[-1] = pc.binary_join_element_wise(fields[-1], pa.scalar("\r\n"), "")
    return _joined(pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0], pa)


def _csv_field(column, kind: str, pa, pc):
    """The CSV cells of one column (:func:`csv_lines`), an Arrow string array without nulls."""
    import numpy as np

    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    n = len(column)
    if n > 1 and column.null_count in (0, n) and (column.null_count == n or pc.all(pc.equal(column, column[0])).as_py()):
        one = _csv_field(column.slice(0, 1), kind, pa, pc)  # the same value throughout: one cell, repeated
        return one.take(pa.array(np.zeros(n, dtype=np.int32)))
    if kind == "float":
        text = float_texts(column)
    elif kind == "int":
        text = pc.cast(column, pa.string())
    elif kind == "bool":
        text = pc.if_else(column, pa.scalar("true"), pa.scalar("false"))
    else:
        text = column
        if n and pc.any(pc.match_substring_regex(text, r"^[=+\-@\t\r]")).as_py():
            text = pa.array([safe_cell(v) for v in text.to_pylist()], pa.string())
        quote = pc.match_substring_regex(text, '[,"\r\n]')
        if pc.any(quote).as_py():
            quoted = pc.binary_join_element_wise(pa.scalar('"'), pc.replace_substring(text, '"', '""'),
                                                 pa.scalar('"'), "")
            text = pc.if_else(quote, quoted, text)
    return pc.fill_null(text, "")


def _joined(lines, pa) -> bytes:
    """The UTF-8 bytes of an Arrow string array without nulls, its values one after the other
    (read from its data buffer)."""
    import numpy as np

    if len(lines) == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    data = lines.buffers()[2]
    return data.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()


def float_texts(column):
    """``repr()`` of each float of an Arrow float64 array as an Arrow string array (null stays
    null): Arrow's shortest round-trip text (the same digits as Python's) where Python writes
    the same fixed notation (zero and 1e-4 <= |x| < 1e16, ``.0`` added to a whole number), ``repr()``
    itself for the others. A column of few distinct values (a parameter) has ``repr()`` of each
    distinct value, taken for every row."""
    import numpy as np

    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    pc = require("parquet", "pyarrow.compute", PARQUET_PURPOSE)
    if len(column) == 0:
        return pa.array([], pa.string())
    values = column.to_numpy(zero_copy_only=False).astype(float)
    if len(values) > 4096 and len(np.unique(values[:1024])) <= 128:
        distinct, inverse = np.unique(values, return_inverse=True)
        if len(distinct) <= len(values) // 16:
            text = pa.array([repr(v) for v in distinct.tolist()], pa.string()).take(
                pa.array(inverse.astype(np.int32).ravel()))
            return text if column.null_count == 0 else pc.if_else(pc.is_null(column), pa.nulls(1, pa.string())[0], text)
    text = pc.cast(column, pa.string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        fixed = ((size >= 1e-4) & (size < 1e16)) | (size == 0)  # Arrow's "0" and "-0" become "0.0" and "-0.0"
        if (fixed & (size >= 1e9)).any():  # Arrow writes |x| >= 1e10 with an exponent ("1e+10"), below in fixed notation
            fixed &= ~pc.fill_null(pc.match_substring(text, "e"), True).to_numpy(zero_copy_only=False)
        whole = fixed & (np.floor(values) == values)  # Arrow writes a whole number in fixed notation without "."
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, pa.scalar(".0"), ""), text)
    other = np.flatnonzero(~fixed & ~np.isnan(values))
    if other.size:
        texts = text.to_pylist()
        for i in other.tolist():
            texts[i] = repr(float(values[i]))
        text = pa.array(texts, pa.string())
    return text
