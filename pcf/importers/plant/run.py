"""``pcf import-plant F.xlsx --out MODEL.yaml``: the filled workbook as a ``pcf-model/1`` file.

Steps: refuse an existing output; open the workbook twice (formulas, stored values); read
the model (:mod:`.reader`); write its YAML (:mod:`.emit`) to a hidden temporary file in the
output's folder; load that file with pcf's own loader (:func:`pcf.model.load_model`), which
finds what the workbook checks do not (units of foreground inputs, magnitudes, ...), its
error traced back to the cell of the failing line; only then rename it into place. A
failure leaves no output file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from ...core.errors import ModelError, WorkbookError
from ...core.files import StagedFiles
from ...model import load_model
from .cells import Cited
from .emit import emit
from .layout import Choices
from .reader import PlantReader, read_model


@dataclass(frozen=True)
class PlantImport:
    """What :func:`import_plant` wrote: ``out`` (the model file), ``rows`` (sheet -> rows
    read), ``processes`` (count) and ``quantities`` (count of values taken from cells)."""

    out: Path
    rows: dict[str, int]
    processes: int
    quantities: int


def _open(path: Path):
    if not path.is_file():
        raise WorkbookError(path, None, "no such file")
    try:
        return load_workbook(path), load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl fails in many ways on what is not an .xlsx (zip, XML, .xls, ...)
        reason = " ".join(str(exc).split()) or exc.__class__.__name__
        raise WorkbookError(path, None, f"not a readable .xlsx workbook ({reason}); save it from Excel, WPS or "
                                        "LibreOffice as Excel 2007-365 (.xlsx)") from None


def _cell_of(cells: dict[int, str], line: int | None) -> str | None:
    """The cell of ``line`` or, if that line has none, of the nearest line after it (the
    loader reports a mapping at its first line), else before it."""
    if line is None or not cells:
        return None
    after = [n for n in cells if n >= line]
    return cells[min(after)] if after else cells[max(cells)]


def import_plant(xlsx: str | Path, out: str | Path, choices: Choices) -> PlantImport:
    """Import a filled plant-data workbook and write ``out`` (``pcf-model/1``) atomically.

    Parameters
    ----------
    xlsx : str or Path
        The workbook (from ``pcf template``, filled in).
    out : str or Path
        Model file to write; it must not exist, its folder must.
    choices : Choices
        The open default's keys and units, methods, PCR ids and transport modes to check against.

    Returns
    -------
    PlantImport

    Raises
    ------
    WorkbookError
        ``F.xlsx:Sheet!C12: what is wrong`` for every cell error (:func:`.reader.read_model`),
        and for a loader error of the written model, traced to the cell of its line; ``out``
        exists or its folder does not (about ``out``); ``xlsx`` missing or not a workbook.
    """
    xlsx, out = Path(xlsx), Path(out)
    if out.exists():
        raise WorkbookError(out, None, "exists; choose a new file name or remove the old model first (pcf does not "
                                       "overwrite one)").about("out")
    if not out.parent.is_dir():
        raise WorkbookError(out, None, f"folder {out.parent} does not exist").about("out")
    formulas, values = _open(xlsx)
    reader = PlantReader(xlsx, formulas, values, choices)
    reader.model_dir = out.parent
    model, rows = read_model(reader)
    digest = hashlib.sha256(xlsx.read_bytes()).hexdigest()
    header = [f"Imported by `pcf import-plant` from {xlsx.name} (sha256 {digest[:16]}).",
              "Each value read from the workbook names its cell (Sheet!Cell); a value calculated by an Excel",
              "formula names the formula too. Edit the workbook and import again rather than this file."]
    text, cells = emit(model, header)
    staged = StagedFiles({out: text.encode("utf-8")}).stage()
    try:
        load_model(staged.temps[0][0])
    except ModelError as exc:
        staged.discard()
        cell = _cell_of(cells, exc.line)
        raise WorkbookError(xlsx, cell, exc.message) from None
    except BaseException:
        staged.discard()
        raise
    if out.exists():
        staged.discard()
        raise WorkbookError(out, None, "appeared while importing; choose a new file name").about("out")
    staged.commit()
    return PlantImport(out=out, rows=rows, processes=len(model["processes"]), quantities=len(cells))
