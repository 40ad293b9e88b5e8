"""Spreadsheet formula injection: text cells that a spreadsheet would run as a formula.

A CSV or Excel cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some spreadsheets skip before looking for those) is read as a formula when the
file is opened, e.g. a SKU name ``=HYPERLINK("http://...")``. OWASP's CSV injection guidance
(owasp.org/www-community/attacks/CSV_Injection) is to prefix such a cell with a single quote,
which spreadsheets show as text. Only text is escaped: numbers (a negative number too) stay
numbers.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula (OWASP)."""


def safe_cell(value):
    """``value`` with a single quote in front when it is text starting with one of
    :data:`FORMULA_STARTS`; anything else (numbers, booleans, None) unchanged.

    Parameters
    ----------
    value : object
        A cell about to be written to a CSV or Excel file.

    Returns
    -------
    object
        ``"'" + value`` for such text, else ``value``.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
