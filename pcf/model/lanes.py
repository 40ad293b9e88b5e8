"""Numbers of many variants carried through scalar code: the full result of every SKU of a
chunk built by one run of the result code (``pcf batch``, issue 18 part 1).

A :class:`Lane` is a ``float`` whose value is the *reference* variant's (row 0: the plan's own
parameter values) and which carries every variant's value in ``lane.v`` (a numpy array,
shape ``(n,)``). Code written for one footprint then runs once for ``n`` variants:

- arithmetic (``+ - * / // % **``, ``abs``, ``-``, ``round``) is numpy's, elementwise, on
  float64 (IEEE 754: the same operations in the same order as the scalar run give every row
  the value its own scalar run gives); an operand may be a Lane, a plain number, or a
  :class:`pcf.model.variants.Variants` array of the loader;
- every decision (``if x``, ``x < y``, ``max``, sorting, ``==``) is answered for the reference
  row, and the rows that would have decided otherwise are marked *diverged* (they took another
  path through the code: the batch computes them alone);
- text made from a number (``f"{x:.2f}"``, ``str(x)``) is the reference's text; rows whose
  text differs are marked diverged, as is every row whose value differs where the number is
  turned into a plain ``float`` (``float(x)``, ``int(x)``).

Marking happens inside :func:`lanes` (a context, one per evaluation); a Lane used outside it
for a decision raises ``TypeError``. What the lanes cannot follow (a C function reading the
float directly: ``math.sqrt(x)``, ``numpy.asarray(x)``) silently gives the reference row's
value: the batch therefore checks sampled rows of every plan against their own scalar run
(:func:`pcf.batch.engine.full_columns`), and code on the result path converts numbers with
:func:`num`, which keeps a Lane.
"""

from __future__ import annotations

import contextvars
import math
import operator
import re
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class _Numpy:
    """numpy, imported on first use (commands that compute nothing import this module through
    the model's lint and expressions, and must not load numpy: tests/test_light_imports.py)."""

    def __getattr__(self, name: str):
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


np = _Numpy()


OPEN, CLOSE = "\ue000", "\ue001"
"""Around the number of a text of many variants inside a string (Unicode private use)."""
TEXT = re.compile(OPEN + "([0-9]+)" + CLOSE)


@dataclass
class LaneState:
    """What one evaluation of many variants recorded.

    Attributes
    ----------
    diverged : numpy.ndarray of bool, shape (n,)
        Rows that decided a condition otherwise than the reference row.
    texts : list of list of str
        Texts of numbers that differ between rows (each ``n`` long): a string holding
        ``OPEN k CLOSE`` has each row's ``texts[k]`` there (:func:`expand`).
    first : numpy.ndarray of int, shape (n,)
        For a diverged row, the number of the decision (0, 1, ... in the order they were
        taken) at which it first left the reference's path; -1 for a row that did not. Rows
        that left at the same decision answered every earlier one as the reference did and
        that one otherwise: they likely share a path (the batch evaluates them together).
    decisions : int
        Decisions that marked a row so far.
    marks : list of numpy.ndarray of bool, shape (n,)
        The rows each of those decisions marked, in order (a row's *signature*: the decisions
        it answered otherwise than the reference; rows of one signature likely share a path
        further on too, :func:`signatures`).
    """

    diverged: np.ndarray
    texts: list = field(default_factory=list)
    first: np.ndarray | None = None
    decisions: int = 0
    marks: list = field(default_factory=list)


_ACTIVE: contextvars.ContextVar["LaneState | None"] = contextvars.ContextVar("pcf_lanes", default=None)


WHERE: list | None = None
"""When a list: each marking appends ``(rows marked, the code's stack)`` (diagnostics)."""


def _mark(rows: np.ndarray) -> None:
    state = _ACTIVE.get()
    if state is None:
        raise TypeError("a decision on many variants' numbers is defined only inside pcf.model.lanes.lanes()")
    diverged = state.diverged
    if not rows.any():
        return
    if WHERE is not None:
        import traceback

        WHERE.append((int(np.sum(rows)), traceback.format_stack(limit=6)[:-1]))
    if state.first is not None:
        state.first[rows & ~diverged] = state.decisions
    state.decisions += 1
    state.marks.append(np.array(rows, dtype=bool))
    diverged |= rows


def _values(other):
    """The array (or scalar) of an operand; None when it is not a number."""
    if type(other) is Lane:
        return other.v
    if isinstance(other, np.ndarray):
        return np.asarray(other, dtype=float)
    if isinstance(other, (float, int)) and not isinstance(other, bool):
        return float(other)
    if isinstance(other, bool):
        return float(other)
    return None


def _binary(op, reflected: bool = False, divide: bool = False):
    def method(self, other):
        o = _values(other)
        if o is None:
            return NotImplemented
        a, b = (o, self.v) if reflected else (self.v, o)
        if divide:
            zero = np.broadcast_to(np.asarray(b) == 0, self.v.shape)
            if zero[0]:  # the reference divides by zero: Python raises, as its scalar run does
                op(float(np.broadcast_to(a, self.v.shape)[0]), 0.0)
            if zero.any():
                _mark(zero)
        out = Lane(op(a, b))  # numpy's warnings are off inside lanes()
        if op in OPS.values():
            mine, theirs = _source(self), _source(other)
            out.how = (op.__name__, theirs, mine) if reflected else (op.__name__, mine, theirs)
        return out
    return method


OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv}
"""The operations whose result records how it was made (:attr:`Lane.how`)."""


def _source(x):
    """An operand as :attr:`Lane.how` records it: ``("l", weak reference, how)`` for a Lane,
    ``("c", value)`` for a plain number, None for anything else. The reference is weak: the
    intermediate Lanes of a result's arithmetic are freed as they go (a chunk's worth of floats
    each); a freed one's address may be another Lane's later, so its ``id`` would name the wrong
    operand, and the formulas found would depend on where the allocator put things."""
    if type(x) is Lane:
        return ("l", weakref.ref(x), x.how)
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return ("c", float(x))
    return None


def _text(texts: list[str]) -> str:
    """The reference's text when every row's is the same, else a marker of the rows' texts."""
    first = texts[0]
    if all(t == first for t in texts):
        return first
    state = _ACTIVE.get()
    if state is None:
        raise TypeError("the text of many variants' numbers is defined only inside pcf.model.lanes.lanes()")
    state.texts.append(texts)
    return f"{OPEN}{len(state.texts) - 1}{CLOSE}"


def _formatted(v, spec: str) -> list[str]:
    """``format(x, spec)`` of every value of ``v``, each distinct value (bit for bit) once."""
    if v.size < 256:
        return [format(x, spec) for x in v.tolist()]
    bits, inverse = np.unique(v.view(np.int64), return_inverse=True)
    if bits.size * 2 > v.size:
        return [format(x, spec) for x in v.tolist()]
    table = np.empty(bits.shape, dtype=object)
    for i, x in enumerate(bits.view(np.float64).tolist()):
        table[i] = format(x, spec)
    return table[inverse.ravel()].tolist()


def expand(text: str, texts: list, row: int) -> str:
    """A string of the evaluation with row ``row``'s texts in place of the markers."""
    return TEXT.sub(lambda m: texts[int(m.group(1))][row], text)


def _compare(op):
    def method(self, other):
        o = _values(other)
        if o is None:
            return NotImplemented
        truth = op(self.v, o)
        reference = bool(truth[0])
        _mark(truth != reference)
        return reference
    return method


class Lane(float):
    """One number of ``n`` variants: the reference row's value as the float, all rows in ``v``.

    Build with :func:`lane` (which gives a plain float when every row has the same value).
    ``how`` is how an arithmetic result was made: ``(operation, operand, operand)`` with each
    operand ``("l", weak reference to the Lane, its how)`` or ``("c", number)`` (:data:`OPS`, ``neg``,
    ``abs``), None for a Lane made otherwise; the batch store keeps a number that is such a
    formula of numbers it stores as the formula (:mod:`pcf.batch.columns`).
    """

    __slots__ = ("v", "how", "__weakref__")
    __array_ufunc__ = None  # numpy defers to the Lane's own (reflected) operators

    def __new__(cls, values):
        v = np.asarray(values, dtype=float)
        self = float.__new__(cls, v[0])
        self.v = v
        self.how = None
        return self

    __add__ = _binary(operator.add)
    __radd__ = _binary(operator.add, reflected=True)
    __sub__ = _binary(operator.sub)
    __rsub__ = _binary(operator.sub, reflected=True)
    __mul__ = _binary(operator.mul)
    __rmul__ = _binary(operator.mul, reflected=True)
    __truediv__ = _binary(operator.truediv, divide=True)
    __rtruediv__ = _binary(operator.truediv, reflected=True, divide=True)
    __floordiv__ = _binary(operator.floordiv, divide=True)
    __rfloordiv__ = _binary(operator.floordiv, reflected=True, divide=True)
    __mod__ = _binary(operator.mod, divide=True)
    __rmod__ = _binary(operator.mod, reflected=True, divide=True)
    __pow__ = _binary(operator.pow)
    __rpow__ = _binary(operator.pow, reflected=True)
    __lt__ = _compare(operator.lt)
    __le__ = _compare(operator.le)
    __gt__ = _compare(operator.gt)
    __ge__ = _compare(operator.ge)
    __eq__ = _compare(operator.eq)
    __ne__ = _compare(operator.ne)

    def __neg__(self):
        out = Lane(-self.v)
        out.how = ("neg", _source(self))
        return out

    def __pos__(self):
        return self

    def __abs__(self):
        out = Lane(np.abs(self.v))
        out.how = ("abs", _source(self))
        return out

    def __bool__(self):
        truth = self.v != 0
        reference = bool(truth[0])
        _mark(truth != reference)
        return reference

    def __hash__(self):
        raise TypeError("a number of many variants is no dict key")

    def _plain(self) -> float:
        _mark(self.v != self.v[0])
        return float.__float__(self)

    def __float__(self):
        return self._plain()

    def __int__(self):
        return int(self._plain())

    def __trunc__(self):
        return math.trunc(self._plain())

    def __floor__(self):
        return math.floor(self._plain())

    def __ceil__(self):
        return math.ceil(self._plain())

    def __round__(self, ndigits=None):
        if ndigits is None:
            return round(self._plain())
        return Lane([round(x, ndigits) for x in self.v.tolist()])

    def __format__(self, spec: str) -> str:
        return _text(_formatted(self.v, spec))

    def each_text(self, write, many=None) -> str:
        """The text ``write(value)`` gives each row's value (a formatter outside this module,
        e.g. :func:`pcf.core.numbers.figure`; ``many(values)``, when given, gives them all at
        once): the reference's text when every row's is the same, else a marker of the rows'
        texts; no row is marked diverged."""
        return _text(many(self.v) if many is not None else [write(x) for x in self.v.tolist()])

    def __str__(self) -> str:
        return self.__format__("")

    def __repr__(self) -> str:
        return _text([repr(x) for x in self.v.tolist()])

    def __reduce__(self):
        return (Lane, (self.v,))

    def is_integer(self) -> bool:
        truth = np.equal(np.mod(self.v, 1), 0)
        reference = bool(truth[0])
        _mark(truth != reference)
        return reference


def signatures(marks: list, rows: "np.ndarray") -> list:
    """The ``rows`` (positions) grouped by their signature, the decisions (``marks``,
    :attr:`LaneState.marks`) that marked each: a list of arrays of positions, each group in the
    order of ``rows``, the groups in the order of their first row.

    Parameters
    ----------
    marks : list of numpy.ndarray of bool, shape (n,)
    rows : numpy.ndarray of int
    """
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return []
    if not marks:
        return [rows]
    bits = np.packbits(np.stack([m[rows] for m in marks], axis=1), axis=1)  # (rows, ceil(decisions / 8))
    key = np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).ravel()
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # groups in the order of their first row
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    label = rank[inverse.ravel()]
    by = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[by])) + 1
    return [rows[g] for g in np.split(by, bounds)]


def lane(values) -> "float | Lane":
    """A number of ``n`` variants from its values, shape ``(n,)``: a plain float when every
    row has the reference row's value (bit for bit), else a :class:`Lane`."""
    v = np.asarray(values, dtype=float)
    first = v[0]
    if first != first:  # NaN: the same only when every row is NaN
        return float(first) if np.isnan(v).all() else Lane(v)
    if not (v == first).all():  # most numbers of a varied table: one comparison decides
        return Lane(v)
    return float(first) if (np.signbit(v) == np.signbit(first)).all() else Lane(v)


def zero_below(value, limit):
    """``0.0`` where ``abs(value) <= limit``, else ``value``: for a number of many variants,
    each row's own answer and no decision (:class:`Lane`), e.g. a difference that is only
    the rounding of two sums. For plain floats exactly ``0.0 if abs(value) <= limit else
    value``."""
    if type(value) is not Lane and type(limit) is not Lane:
        return 0.0 if abs(value) <= limit else value
    v = _values(value)
    v = np.broadcast_to(v, (value if type(value) is Lane else limit).v.shape)
    return lane(np.where(np.abs(v) <= _values(limit), 0.0, v))


def larger(a, b):
    """``max(a, b)`` (``b`` only when ``b > a``): for numbers of many variants each row's own,
    no decision."""
    if type(a) is not Lane and type(b) is not Lane:
        return max(a, b)
    x, y = _values(a), _values(b)
    shape = (a if type(a) is Lane else b).v.shape
    return lane(np.broadcast_to(np.where(y > x, y, x), shape))


def num(x) -> "float | Lane":
    """``float(x)``, keeping a :class:`Lane` (and a loader array, as a Lane) as it is."""
    if type(x) is Lane:
        return x
    numpy = sys.modules.get("numpy")  # no array exists before numpy is imported: a PCR check need not import it
    if numpy is not None and isinstance(x, numpy.ndarray) and x.ndim == 1 and x.size > 1:
        return lane(x)
    return float(x)


def isclose(a, b, *, rel_tol: float = 1e-09, abs_tol: float = 0.0) -> bool:
    """:func:`math.isclose` that decides for the reference row of a :class:`Lane` and marks
    the rows that decide otherwise."""
    if type(a) is not Lane and type(b) is not Lane:
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    x, y = _values(a), _values(b)
    with np.errstate(all="ignore"):
        diff = np.abs(np.subtract(y, x))
        truth = ((x == y) | (np.isfinite(diff) & ((diff <= np.abs(rel_tol * y)) | (diff <= np.abs(rel_tol * x))
                                                  | (diff <= abs_tol))))
    truth = np.broadcast_to(truth, (a if type(a) is Lane else b).v.shape)
    reference = bool(truth[0])
    _mark(truth != reference)
    return reference


def is_lane(x) -> bool:
    """True for a number of many variants."""
    return type(x) is Lane


@contextmanager
def lanes(n: int) -> Iterator[LaneState]:
    """Context in which :class:`Lane` decisions mark the rows that decide otherwise, and
    texts of numbers are recorded (numpy's floating-point warnings off).

    Yields
    ------
    LaneState
        Updated in place.
    """
    state = LaneState(np.zeros(n, dtype=bool), first=np.full(n, -1, dtype=np.int64))
    token = _ACTIVE.set(state)
    try:
        with np.errstate(all="ignore"):  # a row dividing by zero is marked, not warned about
            yield state
    finally:
        _ACTIVE.reset(token)
