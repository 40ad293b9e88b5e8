"""Many parameter sets at once: the loader run on arrays (batch SKU variants).

A batch of product variants differs only in parameter values, so :func:`pcf.model.load_model`
is run once with every overridden parameter given as a :class:`Variants` array (one value per
variant) instead of once per variant. Expressions, unit conversions, transport
tonne-kilometres and allocation shares then come out as arrays, computed by the loader's own
code with numpy's elementwise arithmetic (IEEE 754 double, the same operations in the same
order as the scalar run, so every value equals the scalar loader's).

Row 0 of every array is the *reference* variant (the parameter set the batch prepared, known
to be valid). Where the loader takes a decision (``if out <= 0``, ``max(mass, volume * f)``,
``a < b <= c``), Python asks the array for one truth value: :meth:`Variants.__bool__` answers
with the reference row's and marks every row that would have decided otherwise as
*diverged*. A diverged row took another path through the loader (typically an error: a
negative output, a share above 1), and so does a row where an expression is not finite
(division by zero). The batch recomputes diverged rows one by one with the scalar loader,
which raises the error with its ``file:line`` message or gives the value of the other path.

Whatever the loader does that arrays cannot do (``float(x)``, a pydantic model built from an
amount, an array as a dict key) raises ``TypeError`` / ``ValueError``: loud, never a silently
wrong number. The batch then falls back to the scalar loader for that model.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .lanes import is_lane

_ACTIVE: contextvars.ContextVar["Divergence | None"] = contextvars.ContextVar("pcf_variants", default=None)


@dataclass
class Divergence:
    """Rows that left the reference row's path while loading.

    Attributes
    ----------
    diverged : numpy.ndarray of bool, shape (n,)
        True for a row that decided a condition differently from row 0, or whose
        expression was not finite.
    decisions : int
        How many conditions the loader decided (for diagnostics).
    """

    diverged: np.ndarray
    decisions: int = 0


class Variants(np.ndarray):
    """Values of one quantity for ``n`` variants (1-d float array; row 0 is the reference).

    Arithmetic is numpy's, elementwise. Truth tests (``if``, ``and``, ``not``, ``min``/``max``
    of two arrays) are answered for the reference row and record the rows that differ, inside
    :func:`vectorised`; outside it they raise ``TypeError`` like any numpy array.
    """

    def __new__(cls, values) -> "Variants":
        return np.asarray(values, dtype=float).view(cls)

    def __bool__(self) -> bool:
        state = _ACTIVE.get()
        if state is None:
            raise TypeError("the truth value of Variants is defined only while loading inside pcf.model.variants.vectorised()")
        truth = np.asarray(self).astype(bool)
        reference = bool(truth[0])
        state.diverged |= truth != reference
        state.decisions += 1
        return reference

    def __hash__(self):  # an array is no dict key: loud, as for numpy arrays
        raise TypeError("Variants are not hashable")


def is_variants(value) -> bool:
    """True when ``value`` is an array of variant values."""
    return isinstance(value, np.ndarray)


def finite(value, describe) -> "float | Variants":
    """Check that a value is finite.

    A scalar that is not finite raises the error ``describe(value)`` returns; an array marks
    its non-finite rows as diverged (the scalar loader raises for them) and carries the
    reference row's value there, so that later arithmetic stays finite.

    Parameters
    ----------
    value : float or Variants
    describe : callable
        ``describe(value) -> Exception`` for a scalar that is not finite.
    """
    if is_lane(value):  # a result's numbers of many variants: their rows are checked when the batch stores them
        return value
    if not is_variants(value):
        if not np.isfinite(value):
            raise describe(value)
        return value
    plain = np.asarray(value, dtype=float)
    bad = ~np.isfinite(plain)
    if bad.any():
        state = _ACTIVE.get()
        if state is None or bad[0]:
            raise describe(float(plain[0]) if bad[0] else plain[bad][0])
        state.diverged |= bad
        plain = np.where(bad, plain[0], plain)
    return Variants(plain)


def within(value, low: float, high: float, describe) -> "float | Variants":
    """Check that a value is 0 or of a magnitude in ``[low, high]``.

    A scalar outside raises the error ``describe(value)`` returns; an array marks its rows
    outside as diverged (the scalar loader raises for them) and carries the reference row's
    value there, as :func:`finite` does.

    Parameters
    ----------
    value : float or Variants
    low, high : float
        Smallest and largest magnitude allowed (0 is always allowed).
    describe : callable
        ``describe(value) -> Exception`` for a scalar outside.
    """
    if is_lane(value):
        return value
    plain = np.asarray(value, dtype=float)
    magnitude = np.abs(plain)
    bad = (magnitude != 0) & ~((magnitude >= low) & (magnitude <= high))
    if not is_variants(value):
        if bad:
            raise describe(value)
        return value
    if bad.any():
        state = _ACTIVE.get()
        if state is None or bad[0]:
            raise describe(float(plain[0]) if bad[0] else plain[bad][0])
        state.diverged |= bad
        plain = np.where(bad, plain[0], plain)
    return Variants(plain)


@contextmanager
def vectorised(n: int) -> Iterator[Divergence]:
    """Context in which :class:`Variants` answer truth tests; numpy's floating-point warnings
    are silenced (non-finite rows are caught by :func:`finite` instead).

    Parameters
    ----------
    n : int
        Number of variants, the reference row included.

    Yields
    ------
    Divergence
    """
    state = Divergence(np.zeros(n, dtype=bool))
    token = _ACTIVE.set(state)
    try:
        with np.errstate(all="ignore"):
            yield state
    finally:
        _ACTIVE.reset(token)
