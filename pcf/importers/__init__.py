"""Reading other tools' files into pcf: LCI databases for ``pcf db import`` (one module per format:
:mod:`.jsonld`, :mod:`.ecospold1`, :mod:`.ecospold2`, :mod:`.excel`; shared parts in :mod:`.common`,
the driver in :mod:`.database`), the premise foreground workbook (:mod:`.premise`,
``pcf import-foreground``) and the plant-data workbook (:mod:`.plant`, ``pcf template`` and
``pcf import-plant``)."""

from .common import ImportReport, UnlinkedFlow, is_ghg
from .database import FORMATS, import_database

__all__ = ["FORMATS", "ImportReport", "UnlinkedFlow", "import_database", "is_ghg"]
