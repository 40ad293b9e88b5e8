"""``pcf batch``: every SKU of a table, in chunks, on this machine or on a dask cluster.

The driver reads the SKU table as a stream (it is never held in memory), prepares one
:class:`~pcf.batch.plan.Plan` per model and scenario, skips the SKUs whose result is
already there with the same input hash, and hands chunks of rows to workers: this process
(``jobs=1``), a pool of ``jobs`` processes, or a dask cluster. Workers compute
(:mod:`pcf.batch.engine`) and return one record per row (with its batch-store row); the
driver commits the store, appends the records to ``batch-state.jsonl`` and, at the end,
writes the summary table. Local workers write a row's own files (``--json-per-sku`` results,
labels, reports) into the output folder; dask workers send their bytes back and the driver
writes them (:class:`Options` ``ship``), so a dask worker writes nothing and needs no access
to the output folder. A bad row becomes an error record with its row number and message;
the others run on.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from importlib.metadata import version as dist_version
from pathlib import Path

from ..core.bw import attach_overlay, user_project
from ..core.codec import first_non_finite
from ..core.errors import CalculationError, PCFError
from ..core.extras import arrow_without_pandas, require
from ..core.files import write_atomic
from ..core.srcdigest import source_digest
from ..declaration import Declaration, write_declaration
from .columns import RowSet, full_columns
from .engine import (evaluate_columns, figures_of_result, full_result, input_hash, input_hashes,
                     same_figures, summarise_rows)
from .plan import Plan, make_plan, remember
from .state import Manifest
from .store import STORE, PartFile, StoreWriter, encode, template_text, write_part
from .summary import (PARQUET_PURPOSE, SummaryStream, chunk_table, columns, complete, ok_records, record_schema,
                      write_summary_tables)
from .table import SkuRow, SkuTable

EXECUTORS = ("local", "dask")
DASK_PURPOSE = "the dask executor of pcf batch runs"


@dataclass
class BatchReport:
    """What :func:`run_batch` did.

    Attributes
    ----------
    rows : int
        SKUs in the table.
    computed, skipped, failed : int
        SKUs computed in this run, skipped (done before with the same input hash), failed
        (error records).
    files : dict of str to Path
        ``summary.csv``, ``summary.parquet``, ``state`` (batch-state.jsonl).
    prepare_s, compute_s : float
        Seconds spent preparing the plans and computing [s].
    notes : list of str
        What the run had to do differently (e.g. rows evaluated one by one, and why).
    errors : list of str
        The first 10 error messages (all are in the summary and the state file).
    workers : int
        Worker processes started by the local executor (0: every chunk was computed in this
        process; a summary-only run starts them only when they pay, :class:`_Adaptive`).
    """

    rows: int = 0
    computed: int = 0
    skipped: int = 0
    failed: int = 0
    files: dict = field(default_factory=dict)
    prepare_s: float = 0.0
    compute_s: float = 0.0
    notes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    workers: int = 0

    def count(self, records: list[dict]) -> None:
        """Count finished records (computed or failed)."""
        for r in records:
            if r["status"] == "ok":
                self.computed += 1
            else:
                self.failed += 1
                if len(self.errors) < 10:
                    self.errors.append(r["error"])


@dataclass(frozen=True)
class Options:
    """How rows are computed: ``out`` folder, ``results`` (each SKU's full result; False for a
    summary-only run), ``templates`` (plan key -> (fingerprint, template JSON text, its
    SHA-256) of the batch store, :mod:`pcf.batch.store`; None: one result JSON file per SKU),
    ``ship`` (write a row's files into a temporary folder and return their bytes in its record
    under ``_files``, name -> bytes, for the driver to write into ``out``: dask workers)."""

    out: str
    results: bool = True
    templates: dict | None = None
    ship: bool = False


class Chunk:
    """Rows handed to a worker at once, as columns (``cols``, :class:`pcf.batch.table.Columns`),
    with their input hashes (``hashes``, :func:`pcf.batch.engine.input_hash`, computed by the
    driver); :attr:`rows` gives them as :class:`SkuRow` (made on first use, never pickled: the
    summary's array path reads the columns)."""

    def __init__(self, cols, hashes: list):
        self.cols, self.hashes = cols, hashes
        self._rows: list | None = None

    @property
    def rows(self) -> list[SkuRow]:
        if self._rows is None:
            self._rows = self.cols.make_rows(0, len(self.cols))
        return self._rows

    def __len__(self) -> int:
        return len(self.cols)

    def __getstate__(self) -> dict:
        return {"cols": self.cols, "hashes": self.hashes, "_rows": None}


def process_chunk(plans: dict, chunk: Chunk, options: Options) -> tuple[list[dict], list[str], list, list]:
    """Compute a chunk of rows (in a worker). Never raises for a row: failures become error
    records.

    Returns
    -------
    records : list of dict
        One state record per row computed alone or failed (:mod:`pcf.batch.state`).
    notes : list of str
    pieces : list of pcf.batch.columns.Piece
        Store rows of the rows computed on arrays (with a batch store).
    tables : list of pyarrow.Table
        The ok records of the rows computed on arrays, as columns
        (:func:`pcf.batch.summary.chunk_table`).
    """
    if not options.ship:
        return _process_chunk(plans, chunk, options, Path(options.out))
    with tempfile.TemporaryDirectory(prefix="pcf-batch-") as folder:
        return _process_chunk(plans, chunk, options, Path(folder))


def _process_chunk(plans: dict, chunk: Chunk, options: Options, out: Path) -> tuple[list[dict], list[str], list, list]:
    """:func:`process_chunk` writing the rows' files into ``out`` (with ``ship``: a temporary
    folder, emptied into each ok record's ``_files``)."""
    if not options.results:
        return _summary_chunk(plans, chunk, options, out)
    records, notes, pieces, tables = [], [], [], []
    rows, hashes = chunk.rows if options.templates is None else [], chunk.hashes
    if options.templates is not None:  # the rows the arrays take are read as columns, never as SkuRows
        left = _full_arrays(plans, chunk, options.templates, tables, notes, pieces)
        rows = chunk.cols.take(left).make_rows(0, len(left)) if left else []
        hashes = [chunk.hashes[i] for i in left]
    hashes = dict(zip((r.row for r in rows), hashes))
    by_plan: dict[tuple, list[SkuRow]] = {}
    for row in rows:
        by_plan.setdefault((row.model, row.scenario), []).append(row)
    for key, group in by_plan.items():
        plan = plans[key]
        fast, rest, note = summarise_rows(plan, group) if group else ({}, [], "")  # checks the full results
        if note:
            notes.append(f"{plan.model}{' scenario ' + plan.scenario if plan.scenario else ''}: rows computed one "
                         f"by one, the array path failed ({note})")
        records += _row_records(plan, group, options, out, fast, {r.row for r in rest}, key,
                                [hashes.get(row.row) for row in group])
    if options.templates is not None and not options.ship and sum(len(p.ids) for p in pieces) >= GROUP:
        pieces = [write_part(Path(options.out) / STORE, [], pieces)]  # the driver adopts it (_commit)
    return records, notes, pieces, tables


def _summary_chunk(plans: dict, chunk: Chunk, options: Options, out: Path) -> tuple[list[dict], list[str], list, list]:
    """:func:`_process_chunk` of a summary-only run: the summary figures of each plan's rows on
    arrays, from the chunk's columns (:func:`_summary_arrays`); the rows the arrays cannot give
    are computed alone (:func:`_compute_row`, their full result)."""
    import numpy as np

    records, notes, tables = [], [], []
    cols = chunk.cols
    for key, positions in _positions_by_plan(cols).items():
        plan = plans[key]
        group = cols if len(positions) == len(cols) else cols.take(positions)
        hashes = chunk.hashes if len(positions) == len(cols) else [chunk.hashes[i] for i in positions.tolist()]
        left = _summary_arrays(plan, group, hashes, tables, notes)
        if not len(left):
            continue
        rest = group.take(left)
        rows = rest.make_rows(0, len(rest))
        records += _row_records(plan, rows, options, out, {}, {r.row for r in rows}, key,
                                np.asarray(hashes, dtype=object)[left].tolist())
    return records, notes, [], tables


def _positions_by_plan(cols) -> dict:
    """The positions of a chunk's rows (:class:`pcf.batch.table.Columns`) per plan, ``(model, scenario)``
    -> numpy.ndarray of int, in table order; a chunk of one plan (the usual one) without a loop."""
    import numpy as np

    if len(set(cols.models)) == 1 and len(set(cols.scenarios)) == 1:
        return {(cols.models[0], cols.scenarios[0]): np.arange(len(cols))} if len(cols) else {}
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(cols.models, cols.scenarios)):
        groups.setdefault(key, []).append(i)
    return {key: np.asarray(at) for key, at in groups.items()}


def _row_records(plan: Plan, rows: list[SkuRow], options: Options, out: Path, fast: dict, slow: set, key: tuple,
                 hashes: list) -> list[dict]:
    """The state records of rows of one plan computed alone or from the summary arrays
    (:func:`_compute_row`, ``hashes`` their input hashes), each with the files it wrote when they
    are shipped back to the driver (``options.ship``)."""
    records = []
    for row, input_sha256 in zip(rows, hashes):
        record = _compute_row(plan, row, options, out, fast, slow, key, input_sha256)
        if options.ship:
            files = _take_files(out)
            if files and record["status"] == "ok":
                record["_files"] = files
        records.append(record)
    return records


def _summary_arrays(plan: Plan, cols, hashes: list, tables: list, notes: list):
    """Summary figures of rows of one plan (``cols``, :class:`pcf.batch.table.Columns`, with their
    input ``hashes``) on arrays (:func:`pcf.batch.engine.evaluate_columns`), their ok records
    appended to ``tables`` as columns; the positions of the rows left for the scalar path are
    returned (numpy.ndarray of int: a row overriding a parameter the model does not have,
    another path through the loader, a singular foreground)."""
    import numpy as np

    n = len(cols)
    known = np.ones(n, dtype=bool)
    for k, v in cols.values.items():
        if k not in plan.parameters:
            known &= np.isnan(v)  # a row overriding a parameter the model lacks goes alone (its error)
    if not known.any():
        return np.arange(n)
    every = bool(known.all())
    kidx = np.flatnonzero(known)
    names = sorted(k for k, v in cols.values.items()
                   if k in plan.parameters and not np.isnan(v if every else v[kidx]).all())
    values = {}
    for k in names:
        v = cols.values[k] if every else cols.values[k][kidx]
        values[k] = np.where(np.isnan(v), float(plan.parameters[k]), v)
    figures, ok, note = evaluate_columns(plan, values)
    if note:
        notes.append(f"{plan.model}{' scenario ' + plan.scenario if plan.scenario else ''}: rows computed one "
                     f"by one, the array path failed ({note})")
        return np.arange(n)
    ok = np.atleast_1d(ok)
    if ok.size == 1 and len(kidx) > 1:  # no parameter column: one evaluation, the model as written, for all
        ok = np.repeat(ok, len(kidx))
        figures = {k: (v[0] if isinstance(v, (np.ndarray, list)) else v) for k, v in figures.items()}
    chosen = np.flatnonzero(ok)
    if chosen.size:
        kept = kidx[chosen]
        data = _column_fields(plan, cols.take(kept), hashes if len(kept) == n else [hashes[i] for i in kept.tolist()])
        every_ok = chosen.size == len(ok)
        for k, v in figures.items():
            data[k] = v if every_ok and isinstance(v, (np.ndarray, list)) else v[chosen] \
                if isinstance(v, np.ndarray) else [v[i] for i in chosen.tolist()] if isinstance(v, list) else v
        tables.append(chunk_table(data, int(chosen.size)))
    left = np.ones(n, dtype=bool)
    left[kidx[chosen]] = False
    return np.flatnonzero(left)


def _column_fields(plan: Plan, cols, hashes: list) -> dict:
    """The record fields of rows given as columns (:class:`pcf.batch.table.Columns`) that are not
    figures, as columns."""
    product = plan.product.get("name")
    names = cols.names if all(cols.names) else product if not any(cols.names) else \
        [name or product for name in cols.names]
    return {"row": cols.rows, "id": cols.ids, "name": names, "model": cols.models, "scenario": cols.scenarios,
            "input_sha256": hashes, "pcr": plan.pcr.id if plan.pcr is not None else None}


def _full_arrays(plans: dict, chunk: Chunk, templates: dict, tables: list, notes: list, pieces: list) -> list[int]:
    """Full results of the chunk's rows on arrays, plan by plan (:func:`_on_arrays`); the
    positions of the rows left for the scalar path, in table order."""
    cols = chunk.cols
    left, done = [], []
    for key, at in _positions_by_plan(cols).items():
        left.extend(_on_arrays(plans[key], cols, at, chunk.hashes, templates[key], done, notes, pieces))
    if len(done) > 1:  # the rows of the rounds, in table order: the summary can stream them (SummaryStream)
        pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
        done = [pa.concat_tables(done).sort_by("row")]
    tables.extend(done)
    return sorted(left)


def _on_arrays(plan: Plan, cols, positions, hashes: list, template: tuple, tables: list, notes: list,
               pieces: list) -> list[int]:
    """Full results of the rows at ``positions`` of ``cols`` (one plan's) on arrays
    (:func:`pcf.batch.columns.full_columns`): their ok records go to ``tables`` as columns, their
    store rows to ``pieces``; the positions of the rows left for the scalar path are returned
    (those asking for a label or report, whose parameters the model does not have, or that
    the arrays could not take)."""
    import numpy as np

    _fp, text, sha = template
    if sha not in _TEMPLATES:
        _TEMPLATES[sha] = json.loads(text)
    doc = _TEMPLATES[sha]
    eligible = ~(cols.label[positions] | cols.report[positions])
    for k, v in cols.values.items():
        if k not in plan.parameters:
            eligible &= np.isnan(v[positions])
    arrays = positions[eligible]
    if not doc or not arrays.size:
        return positions.tolist()
    try:
        done = full_columns(plan, RowSet.of_columns(cols, arrays), doc, sha, [hashes[i] for i in arrays.tolist()])
    except Exception as exc:  # the arrays only save time: their rows go the scalar path, which is the reference
        notes.append(f"{plan.model}: rows computed one by one, the arrays failed ({type(exc).__name__}: {exc}); "
                     "please report this")
        return positions.tolist()
    notes.extend(n for n in done.notes if n not in notes)
    pieces.extend(done.pieces)
    taken = np.zeros(len(cols), dtype=bool)
    for figures in done.columns:
        figures.pop("rows")
        at = arrays[figures.pop("at")]
        taken[at] = True
        own = _column_fields(plan, cols.take(at), [hashes[i] for i in at.tolist()])
        tables.append(chunk_table({**own, **figures}, len(at)))
    return positions[~taken[positions]].tolist()


def _compute_row(plan: Plan, row: SkuRow, options: Options, out: Path, fast: dict, slow: set, key: tuple,
                 input_sha256: str | None = None) -> dict:
    """The state record of one row computed alone (its full result) or from the summary arrays."""
    record = _record(plan, row, input_sha256)
    try:
        if options.results or row.row in slow:
            result = full_result(plan, row)
            record.update(figures_of_result(result, plan))
            if row.row in fast:
                diff = same_figures(fast[row.row], figures_of_result(result, plan))
                if diff:
                    raise PCFError(f"the batch arrays and the full result disagree ({diff}); please report this")
            if options.results and options.templates is not None:
                record.update(_encode(result, row, out, options.templates[key]))
            elif options.results:
                record.update(_write(result, row, out))
        else:
            record.update(fast[row.row])
    except PCFError as exc:
        record.update(status="error", error=f"row {row.row}: {exc}")
    except Exception as exc:  # a row must not stop the others; keep its message
        record.update(status="error", error=f"row {row.row}: {type(exc).__name__}: {exc}")
    return record


def _take_files(folder: Path) -> dict[str, bytes]:
    """The files in ``folder`` (name -> bytes), removed from it."""
    files = {}
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as fh:
                files[entry.name] = fh.read()
            os.unlink(entry.path)
    return files


def _write_files(out: Path, records: list[dict]) -> None:
    """Write the files dask workers sent with their records (``_files``, :class:`Options`
    ``ship``) into ``out``, each atomically, before the records are committed."""
    for record in records:
        files = record.pop("_files", None)
        if files:
            if any(Path(name).name != name or name in ("", ".", "..") for name in files):
                raise PCFError(f"a worker sent files outside the output folder ({sorted(files)}); please report this")
            write_atomic({out / name: data for name, data in files.items()})


def _record(plan: Plan, row: SkuRow, input_sha256: str | None = None) -> dict:
    return {"row": row.row, "id": row.id, "name": row.name or plan.product.get("name"), "model": row.model,
            "scenario": row.scenario, "status": "ok", "error": None,
            "input_sha256": input_sha256 or input_hash(plan, row),
            "overrides": dict(row.overrides), "pcr": plan.pcr.id if plan.pcr is not None else None}


_TEMPLATES: dict = {}  # template SHA-256 -> its parsed JSON (per process)


def _encode(declaration: Declaration, row: SkuRow, out: Path, template: tuple) -> dict:
    """A row's result as a batch-store row (:func:`pcf.batch.store.encode`, under ``_store``;
    the driver commits it), its label / report rendered, and its verdict."""
    _fp, text, sha = template
    if sha not in _TEMPLATES:
        _TEMPLATES[sha] = json.loads(text)
    numbers, patch = encode(_TEMPLATES[sha], declaration.to_json())
    # the template is finite (_templates), so only what differs from it can be infinite or NaN
    found = next(((p, v) for p, v in numbers.items() if not math.isfinite(v)), None)
    bad = first_non_finite(patch)
    if found is not None or bad is not None:
        where, value = found or bad[:2]
        raise CalculationError(f"the result holds a number that is not finite ({value}) at {where}; nothing was "
                               "written. Check the amounts of the model")
    verdict = _render(declaration, row, out)
    verdict["_store"] = {"id": row.id, "row": row.row, "input_sha256": declaration.batch.input_sha256, "template": sha,
                         "numbers": numbers, "patch": patch}
    return verdict


def _write(declaration: Declaration, row: SkuRow, out: Path) -> dict:
    """Write a row's result JSON (and label / report) atomically; its verdict and file."""
    path = write_declaration(declaration, out, indent=None)
    return dict(_render(declaration, row, out), result_file=path.name)


def _render(declaration: Declaration, row: SkuRow, out: Path) -> dict:
    """Render a row's label / report when it asks for them; its PCR verdict."""
    if row.label or row.report:
        from ..render import render_label, render_report

        if row.label:
            render_label(declaration, out)
        if row.report:
            render_report(declaration, out)
    a = declaration.assessment
    return {"performance_class": declaration.graded_class if a else None,
            "conforms": a.conforms if a else None,
            "nonconformities": len(a.nonconformities) if a else None}


# ------------------------------------------------------------------ executors

_PLANS: dict = {}
_OPTIONS: Options | None = None


GC_THRESHOLD = (50_000, 20, 100)
"""The garbage collector's thresholds while a batch computes (Python's default is (700, 10, 10)):
the arrays' evaluations and the chunks make and drop many objects, few in cycles; collecting
the youngest generation every 50,000 allocations instead of 700 saved about a tenth of the CPU
of a 25,000-row NMC811 chunk with full results."""


@contextlib.contextmanager
def fewer_collections():
    """Context with :data:`GC_THRESHOLD` (the previous thresholds restored after)."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _init_worker(plans: dict, options: Options, user=None, environ: dict | None = None, cwd: str | None = None) -> None:
    """Receive the plans once (and the user's Brightway project the driver opened, if any:
    :func:`pcf.core.bw.attach_overlay`), the driver's environment and working folder (a
    worker forked from the fork server gets them as they were when that server started);
    exit when the driver dies (a killed batch leaves no workers)."""
    global _PLANS, _OPTIONS
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if cwd is not None:
        os.chdir(cwd)
    _PLANS, _OPTIONS = plans, options
    gc.set_threshold(*GC_THRESHOLD)  # this process only computes chunks
    attach_overlay(user)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="pcf-batch-parent-watch").start()


def _pool_chunk(chunk: Chunk):
    with arrow_without_pandas():
        return process_chunk(_PLANS, chunk, _OPTIONS)


AHEAD = 2
"""Chunks handed to :class:`_Inline`'s thread ahead of the one being recorded: with one, the
thread waited for its next chunk while this thread recorded the last and hashed the next."""


class _Inline:
    """Chunks computed in this process, one at a time in a second thread, while this thread
    makes the next chunks (their rows' input hashes, :data:`AHEAD` of them handed to the thread
    in advance) and records the last one: the chunk's arrays
    (NumPy) and records (Arrow) are computed mostly without the GIL. ``cpu`` adds up the CPU
    time of the chunks computed [s] (of their thread)."""

    def __init__(self, plans, options):
        self.plans, self.options = plans, options
        self.cpu = 0.0

    def map(self, chunks: Iterator[Chunk]):
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="pcf-batch-chunk") as thread:
            held: deque = deque()
            for chunk in chunks:
                held.append((chunk, thread.submit(contextvars.copy_context().run, self._compute, chunk)))  # this thread's context
                if len(held) > AHEAD:  # the thread has the next chunks while this one is recorded
                    done, future = held.popleft()
                    yield done, future.result()
            while held:
                done, future = held.popleft()
                yield done, future.result()

    def _compute(self, chunk: Chunk):
        started = time.thread_time()
        try:
            return process_chunk(self.plans, chunk, self.options)
        finally:
            self.cpu += time.thread_time() - started

    def close(self):
        pass


STARTUP_S = 1.0
"""CPU seconds a worker process takes to start (spawn, import pcf's batch stack, receive the
plans) before it computes [s]: about 0.8 s measured for the NMC811 pack on the 2-core machine."""


class _Adaptive:
    """Summary-only chunks computed in this process, until the rows left would take longer here
    than ``jobs`` worker processes take to start and share them (:data:`STARTUP_S`, judged from
    the CPU time of the chunks computed here); then a pool of ``jobs`` processes
    (:class:`_Pool`) computes the rest. The arrays of a summary are fast (100,000 NMC811 rows in
    under a second of CPU), so on small and middling tables one process is faster than
    starting workers. ``left()`` gives the rows not yet recorded or skipped; ``report.workers``
    counts the processes started."""

    def __init__(self, plans, options, jobs: int, left: Callable[[], int], report: BatchReport):
        self.plans, self.options, self.jobs, self.left, self.report = plans, options, jobs, left, report
        self.pool = None
        self.switch = False

    def map(self, chunks):
        chunks = iter(chunks)
        inline, rows = _Inline(self.plans, self.options), 0

        def until_switch():
            for chunk in chunks:
                yield chunk
                if self.switch:  # the chunk in the thread is finished there; the workers take the rest
                    return

        for chunk, done in inline.map(until_switch()):
            rows += len(chunk)
            yield chunk, done
            if not self.switch and self.left() * inline.cpu / rows > STARTUP_S * self.jobs / (self.jobs - 1):
                self.switch = True
        if self.switch:
            self.pool = _Pool(self.plans, self.options, self.jobs)
            self.report.workers = self.jobs
            yield from self.pool.map(chunks)

    def close(self):
        if self.pool is not None:
            self.pool.close()


PRELOAD = ["pcf.batch.run", "pcf.batch.columns", "pcf.batch.summary", "pyarrow", "pyarrow.parquet"]
"""Modules the fork server imports once, before it forks the workers (:func:`_context`)."""


def _context():
    """The workers' multiprocessing context: a fork server (a fresh process, without the
    driver's threads, e.g. the progress display, which could deadlock a worker forked from the
    driver itself) that imports :data:`PRELOAD` once, so each worker starts without importing
    pcf again (about 1 s of CPU per worker less than spawning); spawn where there is no fork."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_workers_early(jobs: int, executor: str, results: bool) -> None:
    """Start the fork server of :func:`_context` now (it imports pcf while the driver reads the
    table and prepares the plans), when the batch will run local workers from the start (full
    results; a summary-only run starts them only when they pay, :class:`_Adaptive`)."""
    if results and jobs > 1 and executor == "local" and _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class _Pool:
    """Chunks computed by a pool of ``jobs`` processes (forked from a fork server,
    :func:`_context`; each receives the plans, the options, the driver's environment and
    working folder once)."""

    def __init__(self, plans, options, jobs: int):
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_worker,
                                        initargs=(plans, options, user_project(), dict(os.environ), os.getcwd()))

    def map(self, chunks):
        pending = {}
        for chunk in chunks:
            pending[self.pool.submit(_pool_chunk, chunk)] = chunk
            while len(pending) >= 2 * self.jobs:  # bounded: memory does not grow with the table
                yield from self._finished(pending, wait(pending, return_when=FIRST_COMPLETED).done)
        while pending:
            yield from self._finished(pending, wait(pending, return_when=FIRST_COMPLETED).done)

    @staticmethod
    def _finished(pending, done):
        for fut in done:
            yield pending.pop(fut), fut.result()

    def close(self):
        self.pool.shutdown(cancel_futures=True)
        _stop_fork_server()


def _stop_fork_server() -> None:
    """Stop the fork server (:func:`_context`) and wait for it, as for the spawned workers
    before it: the batch leaves no process behind, and its CPU time (with its workers') counts
    in this process's children (what ``time`` and the benchmarks measure)."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


def _dask_chunk(plans: dict, chunk: Chunk, options: Options):
    with fewer_collections():
        return process_chunk(plans, chunk, options)


def _worker_pcf() -> str:
    """What pcf a dask worker runs: :func:`pcf.core.srcdigest.source_digest`, with the numpy and
    scipy that compute its numbers and the Python minor version (pickles of plans and rows)."""
    python = ".".join(map(str, sys.version_info[:2]))
    return f"{source_digest()}, numpy {dist_version('numpy')}, scipy {dist_version('scipy')}, Python {python}"


WORKER_WAIT = 30.0
"""Seconds to wait for the scheduler's first worker [s]. (How long to wait for the scheduler
itself is dask's ``distributed.comm.timeouts.connect``, default 30 s.)"""


class _Dask:
    """Chunks computed on a dask.distributed cluster: ``scheduler`` (an address such as
    ``tcp://host:8786``), or a local cluster of ``jobs`` worker processes.

    Made before anything is prepared or written: it connects and checks that the cluster has a
    worker and that every worker runs this pcf (same source digest, numpy, scipy and Python
    minor version: :func:`_worker_pcf`), else a clear error.
    :meth:`start` sends the plans to every worker once (they carry the model files and the
    characterised background, :mod:`pcf.batch.plan`). Workers compute only: each record comes
    back with its batch-store row and the bytes of the row's own files (:class:`Options`
    ``ship``), which the driver writes. So workers need pcf, but not the client's folders, its
    model files, its output folder or the background databases in their own ``PCF_HOME``.

    Raises
    ------
    PCFError
        The scheduler cannot be reached, has no worker after :data:`WORKER_WAIT` seconds, or a
        worker cannot run pcf or runs another pcf.
    """

    def __init__(self, jobs: int, scheduler: str | None):
        distributed = require("dask", "distributed", DASK_PURPOSE)
        Client, LocalCluster = distributed.Client, distributed.LocalCluster
        self.cluster = self.client = None
        if scheduler:
            try:
                self.client = Client(scheduler)
            except (OSError, TimeoutError, ValueError) as exc:
                raise PCFError(f"cannot reach the dask scheduler at {scheduler} ({type(exc).__name__}: {exc}); "
                               "start it with `dask scheduler` and give its address").about("scheduler") from None
        else:
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None)
            self.client = Client(self.cluster)
        try:
            self._check_workers(scheduler or self.cluster.scheduler_address)
        except BaseException:
            self.close()
            raise
        self.jobs = max(jobs, len(self.client.scheduler_info().get("workers", {})) or 1)

    def _check_workers(self, address: str) -> None:
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise PCFError(f"the dask scheduler at {address} has no worker (none joined in {WORKER_WAIT:g} s); "
                           f"start one with `dask worker {address}`").about("scheduler") from None
        try:
            theirs = self.client.run(_worker_pcf)
        except Exception as exc:  # a worker that cannot unpickle or run pcf's function
            raise PCFError(f"the dask workers of {address} cannot run pcf ({type(exc).__name__}: {exc}); "
                           "install this pcf where the workers run").about("scheduler") from None
        mine = _worker_pcf()
        other = {worker: digest for worker, digest in sorted(theirs.items()) if digest != mine}
        if other:
            listed = "; ".join(f"{worker}: {digest}" for worker, digest in list(other.items())[:5])
            raise PCFError(f"{len(other)} dask worker(s) of {address} run another pcf than this one ({mine}): "
                           f"{listed}; install the same pcf on the workers and restart them").about("scheduler")

    def start(self, plans: dict, options: Options) -> "_Dask":
        """Send the plans to every worker (once) and keep the options; returns self."""
        self.plans = self.client.scatter(plans, broadcast=True)
        self.options = options
        return self

    def map(self, chunks):
        from distributed import wait as dwait

        pending = {}
        for chunk in chunks:
            pending[self.client.submit(_dask_chunk, self.plans, chunk, self.options, pure=False)] = chunk
            while len(pending) >= 2 * self.jobs:
                done = dwait(list(pending), return_when="FIRST_COMPLETED").done
                yield from ((pending.pop(f), f.result()) for f in done)
        while pending:
            done = dwait(list(pending), return_when="FIRST_COMPLETED").done
            yield from ((pending.pop(f), f.result()) for f in done)

    def close(self):
        """Disconnect (and stop a local cluster); a second call does nothing."""
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------ driver


def run_batch(skus: str | Path, out: str | Path, model: str | Path | None = None, *, jobs: int = 1,
              executor: str = "local", scheduler: str | None = None, force: bool = False, results: bool = True,
              json_per_sku: bool = False, chunk_size: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> BatchReport:
    """Compute every SKU of a table (``pcf batch``).

    A driver: the table read once into columns, its model structures (:func:`_scan`), one
    plan per model and scenario (:func:`_prepare_plans`), chunks of rows fed to the runner
    (:func:`_pending_chunks`, :func:`_record_chunk`), then the summary, column by column.

    Parameters
    ----------
    skus : str or Path
        SKU table, CSV or Excel (:mod:`pcf.batch.table`).
    out : str or Path
        Output folder: the batch store (``plan.json`` and ``store/``, :mod:`pcf.batch.store`)
        or ``<id>.result.json`` per SKU (``json_per_sku``), labels and reports on request,
        ``summary.csv``, ``summary.parquet``, ``batch-state.jsonl``.
    model : str or Path, optional
        Model of the rows without a ``model`` cell.
    jobs : int
        Worker processes (``local``) or local dask workers (``dask`` without ``scheduler``).
    executor : {"local", "dask"}
    scheduler : str, optional
        Address of a running dask scheduler (``executor="dask"``).
    force : bool
        Recompute SKUs whose result exists with the same input hash.
    results : bool
        Keep each SKU's full result (False: the summary only, from the array path).
    json_per_sku : bool
        Write each full result as ``<id>.result.json`` instead of the batch store.
    chunk_size : int, optional
        Rows per task; default :data:`CHUNK` (a chunk of one plan is evaluated on arrays at
        once), 20 with ``json_per_sku``.
    progress : callable, optional
        ``progress(done, total)`` after every chunk (skipped rows count as done).

    Returns
    -------
    BatchReport

    Raises
    ------
    PCFError
        The table cannot be read (``TableError``), the ``--model`` itself is invalid
        (``ModelError`` with ``file:line``) or no plan can be prepared, an unknown executor;
        ``MissingExtra`` when pyarrow (extra ``parquet``) or, for ``executor="dask"``,
        distributed (extra ``dask``) is not installed; for ``executor="dask"``, before
        anything is prepared or written: the scheduler cannot be reached, has no worker, or a
        worker cannot run this pcf (:class:`_Dask`).
        Row failures are not raised: they are counted in ``failed`` and recorded.
    """
    if executor not in EXECUTORS:
        raise PCFError(f"unknown executor {executor!r}; use {' or '.join(EXECUTORS)}").about("executor")
    if jobs < 1:
        raise PCFError(f"the number of jobs must be at least 1, got {jobs}").about("jobs")
    require("parquet", "pyarrow", PARQUET_PURPOSE)  # before anything is computed or written
    if executor == "dask":
        if user_project() is not None:
            raise PCFError(f"dask workers cannot read {user_project().describe()} (pcf reads it through a temporary "
                           "folder of this process): use the local executor").about("executor")
        require("dask", "distributed", DASK_PURPOSE)
    started = time.perf_counter()
    start_workers_early(jobs, executor, results)
    cluster = None
    try:
        table = SkuTable(skus, model)
        cluster = _Dask(jobs, scheduler) if executor == "dask" else None  # connected and checked before any work
        with fewer_collections():
            return _run(table, Path(out), model, jobs, cluster, force, results, json_per_sku, chunk_size, progress,
                        started)
    finally:
        if cluster is not None:
            cluster.close()
        if jobs > 1 and executor == "local":
            _stop_fork_server()  # also when the batch failed before its workers started


def _run(table: SkuTable, out: Path, model, jobs: int, cluster: _Dask | None, force: bool, results: bool,
         json_per_sku: bool, chunk_size: int | None, progress, started: float) -> BatchReport:
    """:func:`run_batch` once the table is open and the cluster (if any) connected: the table
    is read once, into columns (:meth:`pcf.batch.table.SkuTable.columns`)."""
    report = BatchReport()
    cols = table.columns()
    report.rows = len(cols)
    keys, duplicates = _scan(cols)
    plans = _prepare_plans(keys, model, "" if json_per_sku else "full" if results else "summary")
    report.prepare_s = time.perf_counter() - started
    # pyarrow imports pandas (0.3 s) on its first list, for nothing here; Brightway, which needs
    # it, was imported above when a plan had to be prepared with it (pandas is then not hidden)
    with arrow_without_pandas() if cluster is None else contextlib.nullcontext():
        return _execute(table, cols, out, plans, duplicates, report, jobs, cluster, force, results, json_per_sku,
                        chunk_size, progress)


def _execute(table: SkuTable, cols, out: Path, plans: dict, duplicates: dict, report: BatchReport, jobs: int,
             cluster: _Dask | None, force: bool, results: bool, json_per_sku: bool, chunk_size: int | None,
             progress) -> BatchReport:
    """:func:`_run` once the plans are prepared: the rows computed and recorded, then the summary."""
    manifest = Manifest(out)
    store = None
    templates = None
    if results and not json_per_sku:
        templates = _templates(plans)
        store = StoreWriter(out, templates)
    for plan in plans.values():  # after the templates: with every activity a result asks for
        remember(plan)
    options = Options(str(out), results, templates, ship=cluster is not None)
    feed = _Feed(cols, plans, duplicates, manifest, report, out, force, results,
                 chunk_size or (20 if results and store is None else CHUNK), progress, store)
    if progress:
        progress(0, report.rows)
    # the summary written as the rows go; with a store, each chunk (at least GROUP rows) is committed alone
    if (not results or store is not None and SUMMARY_BLOCK >= GROUP) and feed.size == SUMMARY_BLOCK and \
            _all_pending(feed):
        feed.summary = SummaryStream(columns(table.parameters), out, cols.rows, _used(table, cols, plans),
                                     SUMMARY_BLOCK)
    runner = (cluster.start(plans, options) if cluster is not None else
              _Inline(plans, options) if jobs == 1 else _Pool(plans, options, jobs) if results else
              _Adaptive(plans, options, jobs, lambda: report.rows - feed.done, report))
    if isinstance(runner, _Pool):
        report.workers = jobs
    compute_started = time.perf_counter()
    try:
        for _chunk, (records, notes, pieces, tables) in runner.map(_pending_chunks(feed)):
            _record_chunk(feed, records, notes, pieces, tables)
        _commit(feed)
        streamed = feed.summary.finish() if feed.summary is not None else None
    finally:
        runner.close()
        if feed.summary is not None:
            feed.summary.close()
    if store is not None:
        store.compact()
        report.files["plan"] = out / "plan.json"
        report.files["store"] = out / "store"
    report.compute_s = time.perf_counter() - compute_started
    report.files.update(streamed or _summarise(table, cols, plans, manifest, out))
    manifest.close()
    report.files["state"] = manifest.path
    return report


CHUNK = 25_000
"""Rows per chunk by default with the batch store or summary-only (a chunk of one plan is
evaluated on arrays at once: each evaluation has a fixed cost, so larger chunks cost less per
row; memory grows with the chunk)."""


def _scan(cols) -> tuple[dict[tuple, None], dict[int, int]]:
    """The model structures and duplicate ids of the table.

    Returns
    -------
    keys : dict of tuple to None
        ``(model, scenario)`` of the valid rows, in table order.
    duplicates : dict of int to int
        Row of a duplicate id -> row of its first occurrence.
    """
    if not any(cols.errors) and len(set(cols.ids)) == len(cols.ids):  # the usual table: no row error, no duplicate
        return dict.fromkeys(zip(cols.models, cols.scenarios)), {}
    keys: dict[tuple, None] = {}
    first: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    rows = cols.rows.tolist()
    for number, sku, error, model, scenario in zip(rows, cols.ids, cols.errors, cols.models, cols.scenarios):
        if error:
            continue
        if sku in first:
            duplicates[number] = first[sku]
            continue
        first[sku] = number
        keys.setdefault((model, scenario), None)
    return keys, duplicates


def _prepare_plans(keys: dict[tuple, None], model: str | Path | None, warm: str = "") -> dict[tuple, Plan]:
    """One plan per ``(model, scenario)`` (``warm``: :func:`pcf.batch.plan.make_plan`'s).

    Raises
    ------
    PCFError
        The ``--model`` itself is invalid (a bad scenario only fails its rows), or no plan
        can be prepared.
    """
    cache: dict = {}
    plans = {key: make_plan(key[0], key[1], cache, warm) for key in keys}
    if model is not None:  # the model itself must be valid; a bad scenario only fails its rows
        base = plans.get((str(Path(model)), "")) or make_plan(str(Path(model)), "", cache, warm)
        if base.error:
            raise PCFError(base.error)
    if plans and all(p.error for p in plans.values()):
        raise PCFError(next(iter(plans.values())).error)
    return plans


@dataclass
class _Feed:
    """Pass over the table's columns: what :func:`_pending_chunks` and :func:`_record_chunk`
    share.

    ``size`` is the rows per chunk; ``done`` counts the rows recorded or skipped so far (for
    ``progress(done, total)``); ``records``, ``rows``, ``pieces`` and ``tables`` are what the
    driver holds until the next commit (:func:`_commit`).
    """

    cols: object
    plans: dict
    duplicates: dict[int, int]
    manifest: Manifest
    report: BatchReport
    out: Path
    force: bool
    results: bool
    size: int
    progress: Callable[[int, int], None] | None
    store: StoreWriter | None = None
    summary: SummaryStream | None = None
    done: int = 0
    records: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    pieces: list = field(default_factory=list)
    tables: list = field(default_factory=list)


def _pending_chunks(feed: _Feed) -> Iterator[Chunk]:
    """Chunks of the rows still to compute, each of one plan (a chunk is evaluated on arrays at
    once; at most one unfinished chunk per plan is held). Rows that fail before computing
    (table error, duplicate id, plan error) are recorded in chunks of the same size; rows
    whose result exists with the same input hash are skipped (unless ``force``)."""
    report, size, progress, cols = feed.report, feed.size, feed.progress, feed.cols
    if _all_pending(feed):  # every row to compute, of one plan: chunks are slices of the table
        for lo in range(0, len(cols), size):
            part = cols.take(range(lo, min(lo + size, len(cols))))
            yield Chunk(part, input_hashes(part, feed.plans))
        return
    chunks: dict[tuple, tuple[list, list]] = {}  # per plan, the rows' positions and hashes: a chunk shares one evaluation
    errors: list[dict] = []
    manifest, store, ok = feed.manifest, feed.store, feed.manifest.ok
    step, base, hashes = max(size, 5000), 0, []
    for i, (number, sku, message, key) in enumerate(zip(cols.rows.tolist(), cols.ids, cols.errors,
                                                        zip(cols.models, cols.scenarios))):
        if i - base >= len(hashes):  # the input hashes of the next rows (as chunks go: while one computes)
            base, hashes = i, input_hashes(cols.take(range(i, min(i + step, len(cols)))), feed.plans)
        h = hashes[i - base]
        plan = feed.plans.get(key)
        if not message and number in feed.duplicates:
            message = f"duplicate id {sku!r} (first on row {feed.duplicates[number]})"
        if not message and plan.error:
            message = plan.error
        if message:
            errors.append(_error_record(cols.row(i), message, plan))
            if len(errors) >= size:
                _record_chunk(feed, errors)
                errors = []
            continue
        if not feed.force and sku in ok and manifest.done(sku, h) and \
                (not feed.results or (store.stored(sku, h) if store is not None
                                      else (feed.out / f"{sku}.result.json").exists())):
            report.skipped += 1
            feed.done += 1
            if progress and report.skipped % 1000 == 0:
                progress(feed.done, report.rows)
            continue
        held = chunks.get(key)
        if held is None:
            held = chunks[key] = ([], [])
        held[0].append(i)
        held[1].append(h)
        if len(held[0]) >= size:
            yield _chunk(cols, *chunks.pop(key))
    for positions, of in chunks.values():
        yield _chunk(cols, positions, of)
    if errors:
        _record_chunk(feed, errors)


def _all_pending(feed: _Feed) -> bool:
    """Whether every row of the table is to be computed with one plan: no row error, no duplicate
    id, one plan without error, and nothing done before (an empty state, or ``force``)."""
    cols = feed.cols
    return (len(feed.plans) == 1 and not next(iter(feed.plans.values())).error and not feed.duplicates
            and (feed.force or not feed.manifest.ok) and not any(cols.errors) and len(cols) > 0)


def _chunk(cols, positions: list[int], hashes: list) -> Chunk:
    """The chunk of the table's rows at ``positions`` (with their ``hashes``)."""
    return Chunk(cols.take(positions), hashes)


GROUP = 2000
"""SKUs per part of the batch store at least (one row group; what the driver holds before a commit)."""


def _record_chunk(feed: _Feed, records: list[dict], notes: list[str] = (), pieces: list = (),
                  tables: list = ()) -> None:
    """Write the files the records carry (dask workers, :func:`_write_files`), record
    ``records`` and ``tables`` in the state (with a store: hold them with their store rows and
    ``pieces`` until a part is full, :func:`_commit`), count them in the report with their
    ``notes`` (each once), and report progress."""
    _write_files(feed.out, records)
    parts = [p for p in pieces if isinstance(p, PartFile)]  # written by the worker: committed now, alone
    if parts:
        _commit(feed)
        pieces = [p for p in pieces if not isinstance(p, PartFile)]
    feed.records.extend(records)
    feed.tables.extend(tables)
    if feed.store is None:
        _commit(feed)
    elif parts:
        feed.rows.extend(r.pop("_store") for r in records if "_store" in r)
        feed.pieces.extend(pieces)
        _commit(feed, parts)
    else:
        feed.rows.extend(r.pop("_store") for r in records if "_store" in r)
        feed.pieces.extend(pieces)
        if len(feed.rows) + sum(len(p.ids) for p in feed.pieces) >= GROUP:
            _commit(feed)
    count = sum(t.num_rows for t in tables)
    feed.report.count(records)
    feed.report.computed += count
    feed.report.notes.extend(n for n in notes if n not in feed.report.notes)
    feed.done += len(records) + count
    if feed.progress:
        feed.progress(feed.done, feed.report.rows)


def _commit(feed: _Feed, parts: list = ()) -> None:
    """Commit the held records: first the state (their records and chunk, fsync), then, with a
    store, their rows as one part of it and the ``parts`` a worker wrote (one chunk's rows on
    arrays, :func:`pcf.batch.store.write_part`), each by an atomic rename. A run killed
    between the two computes those SKUs again (a SKU counts as done only when the store holds
    it), so the store holds each SKU once."""
    if not (feed.records or feed.rows or feed.pieces or feed.tables or parts):
        return
    chunk = None
    if feed.tables:
        pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
        chunk = pa.concat_tables(feed.tables) if len(feed.tables) > 1 else feed.tables[0]
    if feed.store is not None:
        held = bool(feed.rows or feed.pieces)
        name = f"{STORE}/part-{feed.store.next:06d}.parquet"  # the held rows' (records computed alone)
        for r in feed.records:
            if r["status"] == "ok":
                r["result_file"] = name
        if chunk is not None:  # the rows on arrays: in the worker's part, else in the held one
            name = f"{STORE}/part-{feed.store.next + held:06d}.parquet" if parts else name
            index = chunk.schema.get_field_index("result_file")
            chunk = chunk.set_column(index, "result_file", pa.array([name] * chunk.num_rows, pa.string()))
    if feed.summary is not None:  # its block made in its threads while the state is written (it is renamed at the end)
        feed.summary.add(feed.records, chunk)
    feed.manifest.append(feed.records, chunk)
    if feed.store is not None and (feed.rows or feed.pieces):
        feed.store.commit(feed.rows, feed.pieces)
    for part in parts:
        feed.store.adopt(part)
    feed.records, feed.rows, feed.pieces, feed.tables = [], [], [], []


def _templates(plans: dict) -> dict:
    """The batch store's template of every plan: the full result of its model with the plan's
    own parameter values (``{}`` when that fails: every SKU's result is then kept whole)."""
    out = {}
    for key, plan in plans.items():
        if plan.error:
            continue
        try:
            data = full_result(plan, SkuRow(0, str(plan.product.get("id") or "template"), model=plan.model,
                                            scenario=plan.scenario)).to_json()
            data = json.loads(json.dumps(data, ensure_ascii=False))
            if first_non_finite(data) is not None:
                data = {}
        except Exception:  # the template only saves space; a failing one costs no correctness
            data = {}
        out[key] = (plan.fingerprint, *template_text(data))
    return out


def _error_record(row: SkuRow, message: str, plan: Plan | None) -> dict:
    return {"row": row.row, "id": row.id, "name": row.name, "model": row.model, "scenario": row.scenario,
            "status": "error", "error": f"row {row.row}: {message}",
            "input_sha256": input_hash(plan, row) if plan is not None else None, "overrides": dict(row.overrides)}


SUMMARY_BLOCK = 25_000
"""Rows of the summary written at a time (a block's texts and Arrow arrays are held at once)."""


def _summarise(table: SkuTable, cols, plans: dict, manifest: Manifest, out: Path) -> dict:
    """Write the summary table in the order of the SKU table, column by column, :data:`SUMMARY_BLOCK` rows
    at a time (:func:`_summary_block`). Every row of the table has its record of this run (an
    error) or its last ok record, whose input hash is the row's: the pass over the table
    computed the row again when the hash differed."""
    names = columns(table.parameters)
    used = _used(table, cols, plans)

    def blocks():
        with manifest.path.open("rb") as reader:
            cache: dict = {}
            for lo in range(0, len(cols), SUMMARY_BLOCK):
                hi = min(lo + SUMMARY_BLOCK, len(cols))
                base = _summary_block(cols, lo, hi, manifest, reader, cache)
                yield complete(base, {p: v[lo:hi] for p, v in used.items()}, names)

    if len(cols) == 0:
        return write_summary_tables([], names, out)
    return write_summary_tables(blocks(), names, out)


def _used(table: SkuTable, cols, plans: dict) -> dict:
    """The value of every parameter column of the table each row used: its cell, else its
    plan's value (NaN: neither)."""
    import numpy as np

    keys = list(plans)
    index = {key: i for i, key in enumerate(keys)}
    if len(keys) == 1 and len(set(cols.models)) == 1 and len(set(cols.scenarios)) == 1:  # one plan (the usual)
        which = np.full(len(cols), index.get((cols.models[0], cols.scenarios[0]), -1) if len(cols) else -1)
    else:
        which = np.array([index.get(k, -1) for k in zip(cols.models, cols.scenarios)], dtype=np.int64)
    nan = float("nan")
    used = {}
    for p in table.parameters:
        defaults = np.array([plans[k].parameters.get(p, nan) for k in keys] + [nan], dtype=float)
        values = cols.values[p]
        used[p] = np.where(np.isnan(values), defaults[which], values)
    return used


def _summary_block(cols, lo: int, hi: int, manifest: Manifest, reader, cache: dict):
    """The records of rows ``lo:hi`` of the table as a pyarrow Table (:data:`CHUNK_COLUMNS`
    with ``status`` and ``error``), in table order: taken from the chunk files, and from the
    state file's lines for the rows recorded one by one."""
    import numpy as np

    pa = require("parquet", "pyarrow", PARQUET_PURPOSE)
    pq = require("parquet", "pyarrow.parquet", PARQUET_PURPOSE)
    by_chunk, lines = _where_block(cols, lo, hi, manifest, reader)
    schema = record_schema()
    parts, order = [], []
    for name, (positions, indices) in by_chunk.items():
        if name not in cache:
            if len(cache) >= 8:
                cache.pop(next(iter(cache)))
            kept = manifest.recent.get(name)  # written by this run: the table the file holds
            cache[name] = kept if kept is not None else pq.ParquetFile(manifest.out / name).read()
        parts.append(ok_records(cache[name].take(pa.array(np.asarray(indices, dtype=np.int64))), schema))
        order.extend(positions)
    if lines:
        wanted = {name for name in schema.names}
        parts.append(pa.Table.from_pylist([{k: v for k, v in r.items() if k in wanted} for _, r in lines],
                                          schema=schema))
        order.extend(pos for pos, _ in lines)
    base = pa.concat_tables([p.cast(schema) for p in parts])
    return base.take(pa.array(np.argsort(np.asarray(order), kind="stable"), pa.int64()))


def _where_block(cols, lo: int, hi: int, manifest: Manifest, reader) -> tuple[dict, list]:
    """Where the records of rows ``lo:hi`` are (:meth:`pcf.batch.state.Manifest.where`): ``{chunk
    file: (positions in the block, indices in the file)}`` and ``[(position, record)]`` of the
    rows recorded one by one (or not computed)."""
    ids = cols.ids[lo:hi]
    hits = list(map(manifest.ok.get, ids))
    if not manifest.errors and None not in hits:
        wheres = [hit[1] for hit in hits]
        if not any(isinstance(w, int) for w in wheres):  # every record in a chunk file (a run on arrays)
            import numpy as np

            names = np.array([w[0] for w in wheres], dtype=object)
            indices = np.array([w[1] for w in wheres], dtype=np.int64)
            found = {}
            for name in dict.fromkeys(names.tolist()):
                mask = names == name
                found[name] = (np.flatnonzero(mask).tolist(), indices[mask])
            return found, []
    by_chunk: dict[str, tuple[list, list]] = {}
    lines: list[tuple[int, dict]] = []
    for pos, (number, sku) in enumerate(zip(cols.rows[lo:hi].tolist(), ids)):
        where = manifest.where(number, sku)
        if where is None:
            lines.append((pos, {"row": number, "id": sku, "status": "error", "error": f"row {number}: not computed"}))
        elif isinstance(where, int):
            reader.seek(where)
            lines.append((pos, json.loads(reader.readline())))
        else:
            positions, indices = by_chunk.setdefault(where[0], ([], []))
            positions.append(pos)
            indices.append(where[1])
    return by_chunk, lines
