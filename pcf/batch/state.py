"""The batch's record of what is done: ``<out>/batch-state.jsonl``, one JSON line per SKU
computed (or failed), appended as chunks finish and flushed to disk.

A re-run reads it to skip every SKU whose last record is ``ok`` with the same input hash
(and, unless the run is summary-only, whose result file exists); ``--force`` recomputes all.
A line cut short by a killed run is dropped. The summary table is built from these records
at the end of a run, so nothing is held in memory but an index (id -> hash, file offset).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATE = "batch-state.jsonl"


class Manifest:
    """Append-only record of SKU results.

    Parameters
    ----------
    out : Path
        The batch's output folder (created if missing).
    """

    def __init__(self, out: Path):
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / STATE
        self.ok: dict[str, tuple[str, int]] = {}  # id -> (input hash, offset) of its last ok record
        self.errors: dict[int, int] = {}  # row -> offset of this run's error record
        self._truncate_partial()
        if self.path.exists():
            with self.path.open("rb") as fh:
                offset = 0
                for line in fh:
                    self._index(line, offset, previous=True)
                    offset += len(line)
        self._fh = self.path.open("ab")

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
        if record.get("status") == "ok":
            self.ok[record["id"]] = (record.get("input_sha256", ""), offset)
        elif not previous:
            self.errors[record["row"]] = offset

    def done(self, sku: str, input_hash: str) -> bool:
        """True when the last record of ``sku`` is ok with this input hash."""
        hit = self.ok.get(sku)
        return hit is not None and hit[0] == input_hash

    def append(self, records: list[dict]) -> None:
        """Append records and flush them to disk (fsync)."""
        lines = [(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
                 for record in records]
        offset = self._fh.tell()
        self._fh.write(b"".join(lines))
        for record, line in zip(records, lines):
            if record.get("status") == "ok":
                self.ok[record["id"]] = (record.get("input_sha256", ""), offset)
            else:
                self.errors[record["row"]] = offset
            offset += len(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def lookup(self, reader, row: int, sku: str, input_hash: str | None) -> dict | None:
        """The record the summary shows for a table row: this run's error for the row, else
        the last ok record of its id with the row's input hash (None: whatever its hash), else
        None.

        Parameters
        ----------
        reader : binary file
            ``open(manifest.path, "rb")``, kept open by the caller.
        """
        offset = self.errors.get(row)
        if offset is None:
            hit = self.ok.get(sku)
            if hit is None or (input_hash is not None and hit[0] != input_hash):
                return None
            offset = hit[1]
        reader.seek(offset)
        return json.loads(reader.readline())
