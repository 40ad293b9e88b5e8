"""``pcf batch``: carbon footprints of every SKU of a table (docs/batch.md).

The library works without the command line::

    from pcf.batch import run_batch
    report = run_batch("examples/battery/skus.csv", "out/batch", jobs=2)
"""

from .run import BatchReport, run_batch
from .table import SkuRow, SkuTable, TableError

__all__ = ["BatchReport", "SkuRow", "SkuTable", "TableError", "run_batch"]
