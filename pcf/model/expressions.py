"""Safe evaluation of amount expressions over model parameters.

Amounts in a model may be written as arithmetic over ``parameters``, e.g.
``capacity_kwh * 5.03 * 0.71``. They are parsed with :mod:`ast` and walked by a whitelist
evaluator — never passed to :func:`eval` — so a model file cannot run code.

Allowed: numbers, parameter names, ``+ - * / // % **``, unary ``+ -``, parentheses, and
the functions of :data:`FUNCTIONS` with their arities: ``min(a, ...)`` and ``max(a, ...)``
(one or more arguments), ``abs(x)``, ``round(x)`` and ``round(x, n)`` (``n`` a whole number
of decimals, negative rounds to tens, hundreds, ...).

Every failure is an :class:`~pcf.core.errors.ExpressionError` (the loaders add ``file:line``):
an expression longer than :data:`~pcf.model.exprsyntax.MAX_LENGTH` characters or nested deeper than
:data:`~pcf.model.exprsyntax.MAX_DEPTH`, a wrong number of arguments, division by zero, a value that is complex
(``(-8) ** (1/3)``), too large for a float (``10 ** 400``) or not finite at any step.

Parameters may also be :class:`pcf.model.variants.Variants` arrays (one value per batch
variant); the expression is then evaluated elementwise with numpy (``min``/``max`` as
``numpy.minimum``/``numpy.maximum``) and a row that is not finite is marked diverged instead
of raising.
"""

from __future__ import annotations

import ast
import math
import operator
import sys
from collections.abc import Mapping

from ..core.errors import ExpressionError
from .exprsyntax import parse_expression, shown
from .lanes import is_lane

# numpy (and .variants, an ndarray subclass) is imported only when an expression meets an array: a PCR's
# expression evaluated while a label is issued or a result checked needs neither (0.1-0.2 s of CPU an
# issuing command spent importing numpy, issue 18 part 5; tests/test_light_imports.py).


def _is_variants(value) -> bool:
    """True when ``value`` is an array of variant values (:func:`pcf.model.variants.is_variants`); no
    array exists while numpy is not imported."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _np():
    import numpy

    return numpy


def _variants(values):
    from .variants import Variants

    return Variants(values)


def _finite(value, describe):
    """:func:`pcf.model.variants.finite`, without numpy for a plain number."""
    if _is_variants(value) or is_lane(value):
        from .variants import finite as finite_rows

        return finite_rows(value, describe)
    if not math.isfinite(value):
        raise describe(value)
    return value


#: Function name -> (fewest, most) arguments; None: any number.
FUNCTIONS: dict[str, tuple[int, int | None]] = {"min": (1, None), "max": (1, None), "abs": (1, 1), "round": (1, 2)}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
#: round(x, n) with |n| beyond this is the identity (n > 0) or 0 (n < 0) for every finite double
_ROUND_DIGITS = 400


def _number(value, src: str):
    """A finite float (or the array of variant values, or a Lane, unchanged) from an operation's result."""
    if _is_variants(value) or is_lane(value):
        return value
    if isinstance(value, complex):
        raise ExpressionError(f"in {shown(src)}: the value is not a real number ({value:.6g}); "
                              "a negative number to a fractional power has none")
    try:
        value = float(value)
    except OverflowError:
        raise ExpressionError(f"in {shown(src)}: a number too large for a float") from None
    if not math.isfinite(value):
        raise ExpressionError(f"in {shown(src)}: a step gives {value}, not a finite number")
    return value


def _round(src: str, x, ndigits=0):
    if _is_variants(ndigits):
        np = _np()
        digits = np.unique(np.asarray(ndigits, dtype=float))
        if len(digits) != 1:
            raise ExpressionError(f"in {shown(src)}: the decimals of round() must be the same for every variant")
        ndigits = float(digits[0])
    if ndigits != int(ndigits):
        raise ExpressionError(f"in {shown(src)}: the decimals of round(x, n) must be a whole number, got {ndigits!r}")
    n = max(-_ROUND_DIGITS, min(_ROUND_DIGITS, int(ndigits)))
    return _variants(_np().round(x, n)) if _is_variants(x) else float(round(x, n))


def _minmax(reduce: str, pick):
    def apply(src: str, *args):
        if any(_is_variants(a) for a in args):
            np = _np()
            return _variants(getattr(np, reduce).reduce(np.broadcast_arrays(*args)))
        return pick(args)
    return apply


_APPLY = {
    "min": _minmax("minimum", min),
    "max": _minmax("maximum", max),
    "abs": lambda src, x: _variants(_np().abs(x)) if _is_variants(x) else abs(x),
    "round": _round,
}


def evaluate(expression: str | int | float, parameters: Mapping[str, float]) -> float:
    """Evaluate an amount expression.

    Parameters
    ----------
    expression : str, int or float
        A number, or arithmetic over parameter names, e.g. ``"capacity_kwh * 5.03"``.
    parameters : mapping of str to float
        Parameter values [in the units the model states for them].

        Values may be :class:`~pcf.model.variants.Variants` arrays (batch variants).

    Returns
    -------
    float or Variants
        The value. Finite (rows of an array that are not are marked diverged).

    Raises
    ------
    ExpressionError
        Syntax error, too long or too deep (:data:`~pcf.model.exprsyntax.MAX_LENGTH`,
        :data:`~pcf.model.exprsyntax.MAX_DEPTH`), unknown parameter (the message lists the
        known ones), a construct outside the whitelist (attribute access, calls other than
        :data:`FUNCTIONS`, keywords, subscripts, strings, ...), a wrong number of arguments,
        division by zero, a complex value, a number too large for a float, or a step or result
        that is not finite.
    """
    if isinstance(expression, bool):
        raise ExpressionError(f"expected a number or an expression, got {expression!r}")
    if _is_variants(expression):  # an amount the loader computed for every variant
        value = expression
    elif isinstance(expression, (int, float)):
        try:
            value = float(expression)
        except OverflowError:
            raise ExpressionError(f"the number {shown(str(expression))} is too large") from None
    else:
        text = str(expression)
        value = _eval(parse_expression(text).body, parameters, text)
    return _finite(value, lambda v: ExpressionError(f"expression {shown(str(expression))} does not give a finite number ({v})"))


def _eval(node: ast.AST, params: Mapping[str, float], src: str) -> float:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"in {shown(src)}: only numbers are allowed, not {node.value!r}")
        return _number(node.value, src)
    if isinstance(node, ast.Name):
        if node.id not in params:
            known = ", ".join(sorted(params)) or "none"
            raise ExpressionError(f"in {shown(src)}: unknown parameter {node.id!r} (known parameters: {known})")
        value = params[node.id]
        return value if _is_variants(value) or is_lane(value) else _number(value, src)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, params, src), _eval(node.right, params, src)
        return _apply(_BINARY[type(node.op)], (left, right), src)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _number(_UNARY[type(node.op)](_eval(node.operand, params, src)), src)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        name = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"in {shown(src)}: {name}() takes plain arguments, no names or *")
        fewest, most = FUNCTIONS[name]
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            wanted = f"{fewest} or more" if most is None else (f"{fewest}" if fewest == most else f"{fewest} or {most}")
            raise ExpressionError(f"in {shown(src)}: {name}() takes {wanted} argument(s), got {len(node.args)}")
        args = [_eval(a, params, src) for a in node.args]
        return _apply(lambda *a: _APPLY[name](src, *a), args, src)
    raise ExpressionError(
        f"in {shown(src)}: {type(node).__name__} is not allowed; use numbers, parameter names, "
        "+ - * / // % ** ( ) and min/max/abs/round"
    )


def _apply(function, args, src: str):
    """``function(*args)`` as a finite float (or Variants), its failures as ExpressionError."""
    try:
        numpy = sys.modules.get("numpy")
        if numpy is None:  # no array, Lane or numpy number exists yet: plain floats
            return _number(function(*args), src)
        with numpy.errstate(all="ignore"):  # arrays: rows that fail become NaN, marked diverged later
            return _number(function(*args), src)
    except ZeroDivisionError:
        raise ExpressionError(f"in {shown(src)}: division by zero") from None
    except OverflowError:
        raise ExpressionError(f"in {shown(src)}: a number too large for a float") from None
