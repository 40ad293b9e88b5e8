"""A batch's summary as a peer group (``pcf grade --peers OUT``, issue 21 part 1).

The summary (:mod:`pcf.batch.summary`) has every SKU's declared figure per declared unit, its
declared unit, PCR and conformance, but not the method; the method of each row is that of its
plan's template (``plan.json`` -> ``store/templates/<sha256>.json``, :mod:`pcf.batch.store`),
matched by model and scenario, or of the row's own result file (``--json-per-sku``). A
``--summary-only`` batch keeps neither: its rows are refused (the method is unknown).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..core.cells import FORMULA_STARTS
from ..core.errors import SourceError
from ..core.extras import require
from ..pcr.peers import Peer
from .store import PLAN, STORE, read_plan
from .summary import PARQUET_PURPOSE

SUMMARY_FILES = ("summary.parquet", "summary.csv")


@dataclass(frozen=True)
class SummaryRow:
    """What grading reads of one summary row.

    Attributes
    ----------
    peer : Peer
        Its id (the SKU), declared figure per declared unit [kg CO2e / declared unit], PCR,
        declared unit, method (None: not known) and conformance.
    name : str or None
    status : str
        ``ok`` or ``failed``.
    nonconformities : int or None
    """

    peer: Peer
    name: str | None
    status: str
    nonconformities: int | None


@dataclass(frozen=True)
class SummaryPeers:
    """The rows of a batch summary (:func:`read_summary_peers`).

    Attributes
    ----------
    rows : list of SummaryRow
        Every row, in table order (failed ones too).
    source : str
        The summary file read.
    date : str
        ISO 8601 UTC: when the summary was last written (its modification time).
    """

    rows: list[SummaryRow]
    source: str
    date: str

    def ok(self) -> list[SummaryRow]:
        """The rows with a result (``status`` ok)."""
        return [r for r in self.rows if r.status == "ok"]

    def skipped(self) -> dict[str, int]:
        """Rows that are no peers, by reason (``failed``: SKUs whose footprint failed)."""
        failed = sum(1 for r in self.rows if r.status != "ok")
        return {"failed": failed} if failed else {}


def summary_file(path: str | Path) -> Path | None:
    """The summary a path names: the file itself (``summary.csv`` / ``summary.parquet``), or the
    one in a batch's out folder (Parquet first); None when it names neither."""
    p = Path(path)
    if p.is_file() and p.name in SUMMARY_FILES:
        return p
    if p.is_dir():
        for name in SUMMARY_FILES:
            if (p / name).is_file():
                return p / name
    return None


def read_summary_peers(path: str | Path) -> SummaryPeers:
    """Read a batch summary as peers.

    Parameters
    ----------
    path : str or Path
        A batch's out folder or its ``summary.csv`` / ``summary.parquet``.

    Returns
    -------
    SummaryPeers

    Raises
    ------
    SourceError
        No summary there, a summary without the columns grading needs, or (for rows that
        succeeded) a method that cannot be found: no store template and no result file for
        the row (a ``--summary-only`` batch).
    pcf.batch.store.StoreError
        The store's plan cannot be read (another pcf version, a changed plan).
    """
    file = summary_file(path)
    if file is None:
        raise SourceError(Path(path), None, "no batch summary here (expected a pcf batch --out folder or its "
                                            "summary.csv / summary.parquet)")
    records = _records(file)
    methods = _plan_methods(file.parent)
    rows = []
    for i, rec in enumerate(records, start=2):
        status = rec.get("status") or ""
        method = None
        if status == "ok":
            method = methods.get((rec.get("model") or "", rec.get("scenario") or "")) or _file_method(file.parent, rec)
            if method is None:
                raise SourceError(file, i if file.suffix == ".csv" else None, f"SKU {rec.get('id')!r}: the summary does not say which method it was "
                                           "computed with, and the batch kept no store or result file to read it from "
                                           "(a --summary-only run); run the batch with its results")
        rows.append(SummaryRow(
            peer=Peer(id=str(rec.get("id")), value=_float(rec.get("declared_per_declared_unit")),
                      pcr=rec.get("pcr") or None, declared_unit=rec.get("declared_unit") or None, method=method,
                      conforms=_bool(rec.get("conforms"))),
            name=rec.get("name") or None, status=status, nonconformities=_int(rec.get("nonconformities"))))
    stamp = datetime.fromtimestamp(os.stat(file).st_mtime, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SummaryPeers(rows=rows, source=str(file), date=stamp)


NEEDED = ("id", "status", "declared_per_declared_unit", "declared_unit", "pcr", "conforms", "model", "scenario")


def _records(file: Path) -> list[dict]:
    if file.suffix == ".parquet":
        pq = require("parquet", "pyarrow.parquet", PARQUET_PURPOSE)
        try:
            table = pq.read_table(file)
        except Exception as exc:  # pyarrow raises its own and OSError kinds
            raise SourceError(file, None, f"not a readable Parquet summary ({exc})") from None
        missing = [c for c in NEEDED if c not in table.column_names]
        if missing:
            raise SourceError(file, None, f"not a pcf batch summary: no column {', '.join(missing)}")
        return table.to_pylist()
    try:
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in NEEDED if c not in (reader.fieldnames or [])]
            if missing:
                raise SourceError(file, 1, f"not a pcf batch summary: no column {', '.join(missing)}")
            return [{k: _unquote(v) for k, v in row.items()} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(file, None, f"not a readable CSV summary ({exc})") from None


def _unquote(value):
    """The text a summary CSV cell holds (:func:`pcf.core.cells.safe_cell` quoted formula starts)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _plan_methods(out: Path) -> dict[tuple[str, str], str]:
    """(model, scenario) -> method id of each plan of the batch store in ``out`` (empty without a store)."""
    if not (out / PLAN).is_file():
        return {}
    plan = read_plan(out)
    methods = {}
    for entry in plan.get("plans", []):
        template = out / STORE / "templates" / f"{entry.get('template')}.json"
        try:
            method = json.loads(template.read_text(encoding="utf-8")).get("method")
        except (OSError, ValueError):
            continue
        if isinstance(method, str):
            methods[(entry.get("model") or "", entry.get("scenario") or "")] = method
    return methods


def _file_method(out: Path, rec: dict) -> str | None:
    """The method of a row's own result file (``--json-per-sku``), if there is one."""
    name = rec.get("result_file")
    if not name or name.endswith(".parquet"):
        return None
    try:
        method = json.loads((out / name).read_text(encoding="utf-8")).get("method")
    except (OSError, ValueError):
        return None
    return method if isinstance(method, str) else None


def _float(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def _bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower()) if value not in (None, "") else None


__all__ = ["SummaryPeers", "SummaryRow", "read_summary_peers", "summary_file"]
