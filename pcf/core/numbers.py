"""The one number policy for everything a person reads (issue 20 part 1).

Every figure shown to a person (the command line, labels, the declaration, the study report,
the comparison PDF, exports' human text) is written by :func:`figure`: :data:`FIGURES`
significant figures, ``,`` thousands separators, and never scientific notation
(``2,258`` / ``207.6`` / ``0.5543`` / ``0.00004912``). So the label, the CLI and the report
print the same text for the same quantity. Machine-readable outputs (result JSON, PACT,
Catena-X, CSV numbers) keep full precision and do not use this module.

A table of rounded parts and their rounded total (stages of a footprint) is written by
:func:`rounded_parts`, which says when the rounded parts do not add up to the rounded total,
so the reader is told rather than left to find a difference.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Significant figures of every displayed figure.
FIGURES = 4
#: Magnitudes below this are shown as ``0`` (with the sign kept as ``≈ 0``): more than nine
#: decimals of kg CO2e are not a quantity anyone reads, and plain notation would be unreadable.
SMALLEST = 1e-9
#: What a missing figure is shown as.
DASH = "–"


def _each(value, write, many=None):
    """``write`` applied to every variant of a number of many variants (a
    :class:`pcf.model.lanes.Lane`, which has ``each_text``; ``many(values)``, when given, writes
    them all at once), else None: the batch writes the text of every SKU in one run of the
    result code instead of taking another path for each."""
    each = getattr(type(value), "each_text", None)
    return None if each is None else each(value, write, many)


def figure(value: float | None, figures: int = FIGURES, grouping: bool = True) -> str:
    """A number in plain notation, rounded to significant figures, e.g. ``2,258``.

    Parameters
    ----------
    value : float or None
        The number [any unit]; None gives an en dash; NaN and infinities their names.
    figures : int, default :data:`FIGURES`
        Significant figures (>= 1).
    grouping : bool, default True
        Insert ``,`` thousands separators (off for the text of a QR code).

    Returns
    -------
    str
        ``2,258`` / ``207.6`` / ``0.5543`` / ``0.00004912`` / ``12,350,000``; never an
        exponent. Trailing zeros are significant and kept (``0.2000``). Magnitudes below
        :data:`SMALLEST` are ``0`` (``≈ 0`` when not exactly zero).
    """
    if value is None:
        return DASH
    many = _each(value, lambda v: _figure(v, figures, grouping), lambda v: figures_of(v, figures, grouping))
    if many is not None:
        return many
    return _figure(float(value), figures, grouping)


_WRITTEN: dict = {}
"""(figures, grouping) -> {rounded value: its text}: the texts :func:`figures_of` wrote."""
_WRITTEN_MAX = 200_000


def figures_of(values, figures: int = FIGURES, grouping: bool = True) -> list[str]:
    """:func:`figure` of every value of an array (the batch's numbers of many SKUs), the same
    texts, without formatting each value alone.

    A figure depends only on the value rounded to ``figures`` significant digits, ``D x
    10^(E - figures + 1)``. Each value's ``D`` and ``E`` are found with numpy (one IEEE
    product or quotient by an exact power of ten: within 2e-12 of the true scaled value, so
    its rounding is certain away from a half), the rounded value is ``D`` times or over an
    exact power of ten (one correctly rounded operation: the double ``float(f"{x:.3e}")``
    gives), and each distinct rounded value is written once by :func:`figure` itself (kept for
    the next call). Values near a half, a power of ten, outside 1e-22..1e22 times
    ``10^figures``, zero, tiny or not finite are written one by one.

    Parameters
    ----------
    values : numpy.ndarray of float, shape (n,)
    figures : int
    grouping : bool

    Returns
    -------
    list of str, length n
    """
    import numpy as np

    x = np.asarray(values, dtype=float)
    texts = np.empty(x.shape, dtype=object)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        usable = np.isfinite(a) & (a >= SMALLEST)
        k = figures - 1 - np.floor(np.log10(np.where(usable, a, 1.0)))  # decimals to shift by
        usable &= np.abs(k) <= 22
        k = np.where(usable, k, 0.0)
        power = np.array([float(10 ** i) for i in range(23)])[np.abs(k).astype(int)]  # exact
        scaled = np.where(k >= 0, a * power, a / power)
        digits = np.rint(scaled)
        low, high = 10.0 ** (figures - 1), 10.0 ** figures
        usable &= (np.abs(scaled - np.floor(scaled) - 0.5) > 1e-9 * high) & (scaled >= low + 0.5) & (scaled < high - 0.5)
        rounded = np.copysign(np.where(k >= 0, digits / power, digits * power), x)
    written = _WRITTEN.setdefault((figures, grouping), {})
    if len(written) > _WRITTEN_MAX:
        written.clear()
    at = np.flatnonzero(usable)
    if at.size:
        distinct, inverse = np.unique(rounded[at], return_inverse=True)
        table = np.empty(distinct.shape, dtype=object)
        for i, r in enumerate(distinct.tolist()):
            text = written.get(r)
            table[i] = text if text is not None else written.setdefault(r, _figure(r, figures, grouping))
        texts[at] = table[inverse.ravel()]
    for i in np.flatnonzero(~usable).tolist():
        texts[i] = _figure(float(x[i]), figures, grouping)
    return texts.tolist()


def _figure(x: float, figures: int, grouping: bool) -> str:
    """:func:`figure` of a float (also each variant's, without looking for variants again)."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) < SMALLEST:
        return "≈ 0"
    rounded = float(f"{x:.{figures - 1}e}")  # correct rounding to significant figures
    magnitude = math.floor(math.log10(abs(rounded)))
    decimals = max(0, figures - 1 - magnitude)
    return f"{rounded:{',' if grouping else ''}.{decimals}f}"


def amount(value, grouping: bool = True) -> str:
    """An amount as given (declared units per reference flow, parameters, thresholds): up to
    6 significant figures without trailing zeros and without an exponent (``36,000``,
    ``0.71``, ``60``); None gives an en dash; anything not a number its text.

    ``grouping=False`` leaves out the thousands separators (``36000``): for a value the reader
    is told to write into a model (``Set cycles: 3000.``), where ``3,000`` would not be a number."""
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    many = _each(value, lambda v: amount(v, grouping))
    if many is not None:
        return many
    x = float(value)
    if not math.isfinite(x) or x == 0:
        return "0" if x == 0 else str(x)
    text = figure(x, 6, grouping)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def signed(value: float | None, figures: int = FIGURES) -> str:
    """:func:`figure` with its sign always written (``+12.50`` / ``-1.420`` / ``0``), for a
    difference [any unit]; None gives an en dash."""
    many = _each(value, lambda v: signed(v, figures))
    if many is not None:
        return many
    text = figure(value, figures)
    return "+" + text if value is not None and float(value) > 0 and text[0].isdigit() else text


def percent(fraction: float | None) -> str:
    """A share as a percentage with one decimal, e.g. ``60.0 %``; None gives an en dash.

    Parameters
    ----------
    fraction : float or None
        The share [-] (0.6 means 60 %).
    """
    if fraction is None:
        return DASH
    value = round(100.0 * fraction, 1)
    if value == 0:
        value = 0.0  # no "-0.0 %"
    return f"{value:.1f} %"


@dataclass(frozen=True)
class RoundedParts:
    """Parts and their total as displayed (:func:`rounded_parts`).

    Attributes
    ----------
    parts : list of str
        Each part, :func:`figure`.
    total : str
        The total, :func:`figure` of the exact total (never the sum of the rounded parts).
    adds_up : bool
        Whether the rounded parts, added and rounded again, give the displayed total.
    note : tuple of (str, str) or None
        (Chinese, English) note to print under the table when they do not add up.
    """

    parts: list[str]
    total: str
    adds_up: bool
    note: tuple[str, str] | None


def rounded_parts(parts: list[float], total: float, figures: int = FIGURES) -> RoundedParts:
    """Round the parts of a total (stages of a footprint) and say whether they still add up.

    Parameters
    ----------
    parts : list of float
        The parts [any unit], e.g. kg CO2e per stage.
    total : float
        Their exact total [same unit] (shown rounded; the parts are not re-added for it).
    figures : int, default :data:`FIGURES`
        Significant figures.

    Returns
    -------
    RoundedParts
        With a note when the rounded parts added up and rounded do not give the rounded total.
    """
    texts = [figure(p, figures) for p in parts]
    total_text = figure(total, figures)
    shown = sum(_value(t) for t in texts)
    adds_up = figure(shown, figures) == total_text
    note = None
    if not adds_up:
        note = (f"各项分别修约至{figures}位有效数字，其和（{figure(shown, figures)}）与修约后的合计不同",
                f"each figure is rounded to {figures} significant figures on its own: the rounded parts add up to "
                f"{figure(shown, figures)}, not to the rounded total {total_text}")
    return RoundedParts(texts, total_text, adds_up, note)


def _value(text: str) -> float:
    """The number a :func:`figure` text shows (``≈ 0`` is 0)."""
    return 0.0 if text.startswith("≈") else float(text.replace(",", ""))


_EXPONENT = re.compile(r"(?<![\w.])([-+]?)(\d+)(?:\.(\d+))?[eE]([-+]?\d+)(?!\w|\.\d)")


def plain_text(text: str) -> str:
    """``text`` with every number in scientific notation written plainly, keeping its
    significant figures (``4.91e-05 kg`` -> ``0.0000491 kg``): for stored human text written
    before this policy or kept as written in a result file (finding messages, declaration
    items), shown on a label or in a report."""
    def plain(m: re.Match) -> str:
        sign, whole, frac, exp = m.groups()
        digits = len((whole + (frac or "")).lstrip("0")) or 1
        return figure(float(f"{sign}{whole}.{frac or 0}e{exp}"), digits)

    return _EXPONENT.sub(plain, text) if text else text
