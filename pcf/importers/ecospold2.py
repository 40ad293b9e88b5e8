"""``pcf db import --format ecospold2``: a folder of ``.spold`` files (ecoinvent's ``datasets``
folder) or a zip of them. bw2io's strategies that delete exchanges without a provider are left
out; pcf handles them (:mod:`.database`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ..core.errors import ImportFailed
from .common import ImportReport, link_biosphere, single_root


def read(folder: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.importers.ecospold2 import SingleOutputEcospold2Importer
    from bw2io.strategies import (
        delete_exchanges_missing_activity, delete_ghost_exchanges, drop_temporary_outdated_biosphere_flows,
    )

    root = single_root(folder, lambda p: any(p.glob("*.spold")))
    if not any(root.glob("*.spold")):
        raise ImportFailed(f"{report.source}: no .spold files found; point at ecoinvent's `datasets` folder")
    imp = SingleOutputEcospold2Importer(str(root), name, biosphere_database_name=biosphere, use_mp=False,
                                        add_product_information=False)
    dropping = {delete_exchanges_missing_activity, delete_ghost_exchanges, drop_temporary_outdated_biosphere_flows}
    imp.strategies = [s for s in imp.strategies if s not in dropping]
    report.processes = len(imp.data)
    imp.apply_strategies(verbose=False)
    imp.apply_strategy(partial(link_biosphere, biosphere=biosphere, bd=bd), verbose=False)
    return imp
