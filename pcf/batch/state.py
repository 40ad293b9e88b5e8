"""The batch's record of what is done: ``<out>/batch-state.jsonl``, appended as chunks finish
and flushed to disk, with the columns of its chunks in ``<out>/batch-state/``.

A line is one SKU's record (a row computed alone or failed, every row of a ``--json-per-sku``
run) or one chunk's: ``{"chunk": "batch-state/chunk-<n>.parquet", "rows": n}``, whose file
holds one ok record per row as columns (:data:`CHUNK_COLUMNS`: the summary's fields of the
rows computed on arrays). A chunk's file is written whole (temporary file, fsync, rename)
before its line, so after a kill -9 a chunk is either recorded, line and file, or not at all
(a file without its line is never read, and the next run computes its rows again).

A re-run reads it to skip every SKU whose last record is ``ok`` with the same input hash
(and, unless the run is summary-only, whose result is stored); ``--force`` recomputes all.
A line cut short by a killed run is dropped. The summary table is built from these records
at the end of a run, so nothing is held in memory but an index (id -> hash, where).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.extras import require
from ..core.files import temporary_file

STATE = "batch-state.jsonl"
RECENT_ROWS = 200_000
"""Rows of the chunks written last that :class:`Manifest` keeps in memory (``recent``), for the
summary of the run to take them from there rather than read back the files just written."""
CHUNKS = "batch-state"
PURPOSE = "pcf batch records its chunks in Parquet"


class Manifest:
    """Append-only record of SKU results.

    Parameters
    ----------
    out : Path
        The batch's output folder (created if missing).
    """

    def __init__(self, out: Path):
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.path = out / STATE
        self._ok: dict[str, tuple] = {}  # id -> (input hash, where) of its last ok record; where: offset or (chunk, i)
        self._unindexed: list = []  # (chunk file, table) appended by this run, not yet in _ok
        self.errors: dict[int, int] = {}  # row -> offset of this run's error record
        self._chunks: set[str] = set()  # chunk files the state file names
        self.recent: dict = {}  # chunk file -> its table, the last RECENT_ROWS rows written by this run
        self._truncate_partial()
        if self.path.exists():
            with self.path.open("rb") as fh:
                offset = 0
                for line in fh:
                    self._index(line, offset, previous=True)
                    offset += len(line)
        self._fh = self.path.open("ab")
        self.next = self._tidy() + 1

    @property
    def ok(self) -> dict[str, tuple]:
        """SKU id -> ``(input hash, where)`` of its last ok record (where: an offset in the state
        file, or ``(chunk file, index)``). The chunks this run appended are indexed on the first
        look after them (a run that only appends, and writes its summary as it goes, never
        looks: :class:`pcf.batch.summary.SummaryStream`)."""
        while self._unindexed:
            name, chunk = self._unindexed.pop(0)
            for i, (sku, h) in enumerate(zip(chunk.column("id").to_pylist(), chunk.column("input_sha256").to_pylist())):
                self._ok[sku] = (h, (name, i))
        return self._ok

    def _tidy(self) -> int:
        """Remove what a killed run left in the chunk folder (a temporary file, a chunk file
        written without its line) and the temporary files of a summary it was writing as it went
        (``.summary.csv.*.tmp``, ``.summary.parquet.*.tmp``: pcf.batch.summary); the highest chunk
        number there."""
        for path in self.out.glob(".summary.*.tmp"):
            path.unlink(missing_ok=True)
        folder = self.out / CHUNKS
        if not folder.is_dir():
            return 0
        known = {Path(name).name for name in self._chunks}
        for path in folder.iterdir():
            if path.name.startswith(".chunk-") or (path.name.startswith("chunk-") and path.name not in known):
                path.unlink(missing_ok=True)
        return max((_number(p) for p in folder.glob("chunk-*.parquet")), default=0)

    def _truncate_partial(self) -> None:
        """Drop a last line without its newline (a run killed while writing it)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb+") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":
                return
            fh.seek(0)
            data = fh.read()
            fh.truncate(data.rfind(b"\n") + 1)

    def _index(self, line: bytes, offset: int, previous: bool = False) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            return
        if not isinstance(record, dict):
            return
        if "chunk" in record:
            self._index_chunk(record["chunk"])
        elif record.get("status") == "ok":
            self._ok[record["id"]] = (record.get("input_sha256", ""), offset)
        elif not previous:
            self.errors[record["row"]] = offset

    def _index_chunk(self, name: str) -> None:
        pq = require("parquet", "pyarrow.parquet", PURPOSE)
        self._chunks.add(name)
        try:
            table = pq.read_table(self.out / name, columns=["id", "input_sha256"])
        except (OSError, ValueError):  # a chunk file gone: its rows are computed again
            return
        for i, (sku, h) in enumerate(zip(table.column("id").to_pylist(), table.column("input_sha256").to_pylist())):
            self._ok[sku] = (h, (name, i))

    def done(self, sku: str, input_hash: str) -> bool:
        """True when the last record of ``sku`` is ok with this input hash."""
        hit = self.ok.get(sku)
        return hit is not None and hit[0] == input_hash

    def append(self, records: list[dict], chunk=None) -> None:
        """Append records, and a chunk's records as columns (``chunk``: a pyarrow Table of
        :data:`CHUNK_COLUMNS`, its file written first), and flush them to disk (fsync)."""
        lines = [(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
                 for record in records]
        name = None
        if chunk is not None and chunk.num_rows:
            name = self._write_chunk(chunk)
            lines.append((json.dumps({"chunk": name, "rows": chunk.num_rows}) + "\n").encode("utf-8"))
        offset = self._fh.tell()
        self._fh.write(b"".join(lines))
        ok = self.ok if records else self._ok  # earlier chunks indexed first: the last record wins
        for record, line in zip(records, lines):
            if record.get("status") == "ok":
                ok[record["id"]] = (record.get("input_sha256", ""), offset)
            else:
                self.errors[record["row"]] = offset
            offset += len(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        if name is not None:
            self._unindexed.append((name, chunk))
            self.recent[name] = chunk
            while sum(t.num_rows for t in self.recent.values()) > RECENT_ROWS and len(self.recent) > 1:
                self.recent.pop(next(iter(self.recent)))

    def _write_chunk(self, chunk) -> str:
        pq = require("parquet", "pyarrow.parquet", PURPOSE)
        folder = self.out / CHUNKS
        folder.mkdir(exist_ok=True)
        name = f"{CHUNKS}/chunk-{self.next:06d}.parquet"
        self.next += 1
        fd, tmp = temporary_file(folder, ".chunk-")
        os.close(fd)
        try:
            text = [f.name for f in chunk.schema if f.type == "string"]  # no dictionary for numbers: faster
            pq.write_table(chunk, tmp, compression="zstd", write_statistics=False, use_dictionary=text)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.out / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return name

    def close(self) -> None:
        self._fh.close()

    def lookup(self, reader, row: int, sku: str, input_hash: str | None) -> dict | None:
        """The record (a line's) the summary shows for a table row: this run's error for the
        row, else the last ok record of its id with the row's input hash (None: whatever its
        hash), else None. A record kept in a chunk is not returned (:meth:`where`).

        Parameters
        ----------
        reader : binary file
            ``open(manifest.path, "rb")``, kept open by the caller.
        """
        offset = self.where(row, sku, input_hash)
        if not isinstance(offset, int):
            return None
        reader.seek(offset)
        return json.loads(reader.readline())

    def where(self, row: int, sku: str, input_hash: str | None = None):
        """Where the record the summary shows for a table row is: an offset in the state file
        (int), ``(chunk file, index)``, or None (no record)."""
        offset = self.errors.get(row)
        if offset is not None:
            return offset
        hit = self.ok.get(sku)
        if hit is None or (input_hash is not None and hit[0] != input_hash):
            return None
        return hit[1]


def _number(path: Path) -> int:
    try:
        return int(path.stem.split("-")[1])
    except (IndexError, ValueError):
        return 0
