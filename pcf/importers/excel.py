"""``pcf db import --format excel``: a Brightway Excel workbook (bw2io ``ExcelImporter`` layout);
its ``Database`` line is replaced by ``name``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ..core.errors import ImportFailed
from .common import ImportReport, apply_synonyms, link_biosphere


def read(path: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.importers.excel import ExcelImporter
    from bw2io.strategies import link_iterable_by_fields

    if path.is_dir():
        books = sorted(path.rglob("*.xlsx"))
        if len(books) != 1:
            raise ImportFailed(f"{report.source}: expected one .xlsx workbook, found {len(books)}; pass the file")
        path = books[0]
    imp = ExcelImporter(str(path))
    old = imp.db_name
    for ds in imp.data:
        ds["database"] = name
        for exc in ds.get("exchanges", []):
            if exc.get("database") == old:
                exc["database"] = name
    imp.db_name = name
    report.processes = len(imp.data)
    imp.strategies = [
        partial(link_iterable_by_fields, other=bd.Database(biosphere), edge_kinds=["biosphere"])
        if getattr(s, "func", None) is link_iterable_by_fields else s for s in imp.strategies
    ]
    imp.apply_strategies(verbose=False)
    imp.apply_strategy(apply_synonyms, verbose=False)
    imp.apply_strategy(partial(link_biosphere, biosphere=biosphere, bd=bd), verbose=False)
    return imp
