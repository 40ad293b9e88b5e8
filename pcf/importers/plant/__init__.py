"""The plant-data workbook: ``pcf template KIND`` writes it (:mod:`.template`), ``pcf
import-plant`` reads it back as a ``pcf-model/1`` file whose every value names its cell
(:mod:`.reader`, :mod:`.emit`, :mod:`.run`). Sheets and columns: :mod:`.layout`; per-kind
suggestions: :mod:`.presets`. Reference: ``docs/model-format.md``, "From a plant-data workbook".

The drop-down entries and the keys checked (:class:`.layout.Choices`) come from the caller
(``pcf.api`` reads them from the open default, ``databases/open-default.csv``), since the
background room sits above this one.
"""

from .layout import KINDS, Choices
from .run import PlantImport, import_plant
from .template import write_template

__all__ = ["KINDS", "Choices", "PlantImport", "import_plant", "write_template"]
