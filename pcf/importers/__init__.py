"""Reading other tools' files into pcf: LCI databases for ``pcf db import`` (one module per format:
:mod:`.jsonld`, :mod:`.ecospold1`, :mod:`.ecospold2`, :mod:`.excel`; shared parts in :mod:`.common`,
the driver in :mod:`.database`) and the premise foreground workbook (:mod:`.premise`,
``pcf import-foreground``)."""

from .common import ImportReport, UnlinkedFlow, is_ghg
from .database import FORMATS, import_database

__all__ = ["FORMATS", "ImportReport", "UnlinkedFlow", "import_database", "is_ghg"]
